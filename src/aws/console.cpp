// SPDX-License-Identifier: GPL-3.0-or-later
#include "console.h"

#include "core/awsendpoints.h"
#include "net/httpclient.h"
#include "net/json.h"

#include <QCoreApplication>
#include <QPointer>
#include <QRegularExpression>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

namespace Elevate::Aws {

namespace {

QString enc(const QString &v)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(v));
}

QUrl withQuery(const QUrl &base, const QList<QPair<QString, QString>> &items)
{
    QUrl url = base;
    QStringList parts;
    for (const auto &[k, v] : items)
        parts << k + u'=' + enc(v);
    url.setQuery(parts.join(u'&'), QUrl::StrictMode);
    return url;
}

} // namespace

namespace Console {

qint64 sessionSeconds(const QDateTime &grantEnd, const QDateTime &now)
{
    const qint64 left = grantEnd.isValid() ? now.secsTo(grantEnd) : kMaxSessionSecs;
    return std::clamp(left, kMinSessionSecs, kMaxSessionSecs);
}

QUrl signinTokenUrl(const QUrl &federation, const RoleCredentials &credentials, qint64 sessionSecs)
{
    const Net::Json session {{"sessionId", credentials.accessKeyId.toStdString()},
                             {"sessionKey", credentials.secretAccessKey.toStdString()},
                             {"sessionToken", credentials.sessionToken.toStdString()}};
    QList<QPair<QString, QString>> items {{u"Action"_s, u"getSigninToken"_s}};
    if (sessionSecs > 0)
        items.append({u"SessionDuration"_s, QString::number(sessionSecs)});
    items.append({u"Session"_s, QString::fromStdString(session.dump())});
    return withQuery(federation, items);
}

namespace {

/// What the endpoint said, for an error message: the status and the first line of a short body (its
/// answers are plain text or a small page; never the credentials, which travel in the URL only).
QString answerText(const Net::HttpResponse &r)
{
    Core::Error e = r.genericError();
    QString line = QString::fromUtf8(r.body.left(200)).section(u'\n', 0, 0).trimmed();
    if (line.startsWith(u'<'))
        line.clear(); // an HTML page says nothing useful in one line
    return line.isEmpty() ? e.message : e.message + u": "_s + line;
}

Core::Error refusal(const Net::HttpResponse &r, bool afterDroppingDuration)
{
    Core::Error e = r.genericError();
    e.message = afterDroppingDuration
        ? QCoreApplication::translate("Elevate::Aws::Console",
                                      "the AWS sign-in service refused the console sign-in, also without a "
                                      "session length (%1)")
              .arg(answerText(r))
        : QCoreApplication::translate("Elevate::Aws::Console",
                                      "the AWS sign-in service refused the console sign-in (%1)")
              .arg(answerText(r));
    return e;
}

} // namespace

void requestSigninToken(Net::HttpClient *http, const QUrl &federation, const RoleCredentials &credentials,
                        qint64 sessionSecs, QObject *context, SigninTokenCallback callback)
{
    QPointer<QObject> guard(context);
    auto parse = [](const Net::HttpResponse &r, SigninToken out) -> Core::Result<SigninToken> {
        auto token = parseSigninToken(r.body);
        if (!token.ok())
            return token.error();
        out.token = token.value();
        return out;
    };
    http->send(Net::HttpRequest::get(signinTokenUrl(federation, credentials, sessionSecs)), context,
               [=](const Net::HttpResponse &r) {
                   if (r.isSuccess()) {
                       SigninToken out;
                       out.sessionSecs = sessionSecs > 0 ? sessionSecs : 0;
                       callback(parse(r, out));
                       return;
                   }
                   if (!(sessionSecs > 0 && r.hasStatus() && r.status == 400)) {
                       callback(refusal(r, false));
                       return;
                   }
                   // Refused with a duration: once more without it; the console then picks the length.
                   if (!guard)
                       return;
                   http->send(Net::HttpRequest::get(signinTokenUrl(federation, credentials, 0)), guard.data(),
                              [=](const Net::HttpResponse &again) {
                                  if (!again.isSuccess()) {
                                      callback(refusal(again, true));
                                      return;
                                  }
                                  SigninToken out;
                                  out.durationRefused = true;
                                  out.refusedSecs = sessionSecs;
                                  callback(parse(again, out));
                              });
               });
}

Core::Result<QString> parseSigninToken(const QByteArray &body)
{
    auto json = Net::parseJson(body);
    if (!json)
        return json.error();
    const QString token = json.value().is_object() ? Net::jsonString(json.value(), "SigninToken") : QString();
    if (token.isEmpty())
        return Core::Error::make(Core::Error::Kind::Parse, u"getSigninToken: no SigninToken in the answer"_s);
    return token;
}

QUrl loginUrl(const QUrl &federation, const QString &issuer, const QUrl &destination,
              const QString &signinToken)
{
    return withQuery(federation,
                     {{u"Action"_s, u"login"_s},
                      {u"Issuer"_s, issuer},
                      {u"Destination"_s, destination.toString(QUrl::FullyEncoded)},
                      {u"SigninToken"_s, signinToken}});
}

QUrl destination(const Core::AwsConfig &aws, const QString &targetKey)
{
    const QString region = aws.consoleRegion.isEmpty() ? aws.region : aws.consoleRegion;
    const QString configured = aws.destinations.value(targetKey).trimmed();
    if (configured.startsWith(u"https://"))
        return QUrl(configured);
    // No region (not configured yet): the commercial console's global host.
    const auto partition = region.isEmpty() ? Core::AwsPartition::forRegion(u"us-east-1"_s)
                                            : Core::AwsPartition::forRegion(region);
    if (partition.consoleDomain.isEmpty())
        return {};
    // The commercial and the sovereign partitions have regional console hosts; the others one host.
    const QString host = partition.regionalConsole && !region.isEmpty()
        ? region + u'.' + partition.consoleDomain
        : partition.consoleDomain;
    static const QRegularExpression service(u"^[a-z0-9-]{1,40}$"_s);
    const QString path
        = service.match(configured).hasMatch() ? u"/%1/home"_s.arg(configured) : u"/console/home"_s;
    QUrl url(u"https://"_s + host + path);
    if (!region.isEmpty())
        url.setQuery(u"region="_s + region);
    return url;
}

QUrl portalShortcut(const QString &startUrl, const QString &accountId, const QString &roleName,
                    const QUrl &destination)
{
    QString fragment = u"/console?account_id="_s + enc(accountId) + u"&role_name="_s + enc(roleName);
    if (destination.isValid() && !destination.isEmpty())
        fragment += u"&destination="_s + enc(destination.toString(QUrl::FullyEncoded));
    QString base = startUrl;
    while (base.endsWith(u'/'))
        base.chop(1);
    return QUrl(base + u"/#"_s + fragment, QUrl::StrictMode);
}

} // namespace Console

QString awsTimestamp(const QDateTime &t)
{
    return t.toUTC().toString(u"yyyy-MM-ddTHH:mm:ss'Z'"_s);
}

QByteArray processCredentialsJson(const RoleCredentials &credentials, const QDateTime &expiration)
{
    // Key order as the AWS documentation shows it (ordered_json); Version must be the number 1.
    nlohmann::ordered_json j;
    j["Version"] = 1;
    j["AccessKeyId"] = credentials.accessKeyId.toStdString();
    j["SecretAccessKey"] = credentials.secretAccessKey.toStdString();
    j["SessionToken"] = credentials.sessionToken.toStdString();
    j["Expiration"] = awsTimestamp(expiration).toStdString();
    return QByteArray::fromStdString(j.dump(2)) + '\n';
}

QByteArray shellExports(const RoleCredentials &credentials, const QDateTime &expiration,
                        const QString &region)
{
    auto quote
        = [](const QString &v) -> QString { return u'\'' + QString(v).replace(u'\'', u"'\\''"_s) + u'\''; };
    QString out;
    out += u"export AWS_ACCESS_KEY_ID="_s + quote(credentials.accessKeyId) + u'\n';
    out += u"export AWS_SECRET_ACCESS_KEY="_s + quote(credentials.secretAccessKey) + u'\n';
    out += u"export AWS_SESSION_TOKEN="_s + quote(credentials.sessionToken) + u'\n';
    out += u"export AWS_CREDENTIAL_EXPIRATION="_s + quote(awsTimestamp(expiration)) + u'\n';
    if (!region.isEmpty())
        out += u"export AWS_REGION="_s + quote(region) + u'\n';
    return out.toUtf8();
}

} // namespace Elevate::Aws
