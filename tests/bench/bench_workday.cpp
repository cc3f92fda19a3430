// SPDX-License-Identifier: GPL-3.0-or-later
// The emulated working day scripts/bench measures the tray's memory growth with (issue 14,
// tray_growth_mb): the real composition root (App::TrayApp) against elevate-emulator, on a clock that
// moves with the emulator's, through a day of syncs, access requests whose one-hour grants end within
// the day, and openings of the tray menu. It prints one JSON line with PSS and RSS before and after the
// day; anything that did not happen as planned is a sentence on stderr and exit 1 (no figures).
//
//   start() ─▶ Ready with targets ─▶ targets to use (policy: no approval, MFA or auth context)
//           ─▶ warm-up: a request, its grant, the menu, the grant's end, the menu ─▶ memory "before"
//           ─▶ the day, per step: advance both clocks ─▶ sync ─▶ requests due ─▶ menus due
//           ─▶ memory "after" ─▶ the emulator's state agrees with what was counted ─▶ JSON
//
// It runs inside a desktop session (scripts/desktop-session) after the emulator was started with
// --auto-sign-in and --write-config and `elevate login` cached the sign-in in the keychain.
// Memory is read from /proc/self/smaps_rollup after malloc_trim(0), so memory glibc holds on its free
// lists is not counted. The driver's own part (an HTTP client for the admin API, a few lists) is in
// the same process; it is warmed up with the rest and small beside the app.

#include "app/tray/trayapp.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/pim.h"
#include "graph/approvalservice.h"
#include "graph/requesttracker.h"
#include "support/manualclock.h"
#include "ui/errortext.h"
#include "ui/pimpresenter.h"
#include "ui/targetsmodel.h"
#include "ui/traycontroller.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSet>
#include <QSystemTrayIcon>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <functional>
#include <malloc.h>
#include <memory>
#include <optional>

namespace {

using namespace Elevate;
using Core::Error;
using Core::Result;

constexpr int kReadyTimeoutMs = 90'000; // start-up: keychain, token refresh, eligibilities
constexpr int kCallTimeoutMs = 60'000; // one sync, one request, one admin call
constexpr int kGrantTimeoutMs = 30'000; // a provisioned request until its grant is listed
constexpr int kSettleMs = 500; // before each memory reading: late replies, deferred deletes
constexpr qint64 kGrantSecs = 3600;

Error failure(const QString &message)
{
    return Error::make(Error::Kind::Internal, message);
}

/// Runs the event loop for `ms` of real time.
void runFor(int ms)
{
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    timer.start(ms);
    loop.exec();
}

/// Runs the event loop until `done()` holds (looked at every few milliseconds) or `timeoutMs` pass.
bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer poll, limit;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    limit.setSingleShot(true);
    QObject::connect(&limit, &QTimer::timeout, &loop, &QEventLoop::quit);
    poll.start(5);
    limit.start(timeoutMs);
    loop.exec();
    return done();
}

/**
 * One answer of the product's callback APIs, waited for in an event loop. The context given to the
 * API dies with this object, so an answer that comes after a timeout is never delivered.
 */
template<typename T> class Pending
{
public:
    QObject *context() { return &m_context; }
    std::function<void(T)> answer()
    {
        return [this](T value) {
            m_value = std::move(value);
            m_loop.quit();
        };
    }
    /// False when no answer came within `timeoutMs`.
    bool wait(int timeoutMs)
    {
        if (!m_value) {
            QTimer limit;
            limit.setSingleShot(true);
            QObject::connect(&limit, &QTimer::timeout, &m_loop, &QEventLoop::quit);
            limit.start(timeoutMs);
            // An answer is queued, so it cannot come before exec(); one that came in an earlier
            // loop is already in m_value.
            m_loop.exec();
        }
        return m_value.has_value();
    }
    const T &value() const { return *m_value; }

private:
    QObject m_context;
    QEventLoop m_loop;
    std::optional<T> m_value;
};

struct Memory
{
    qint64 pssKb = 0;
    qint64 rssKb = 0;
    qint64 anonKb = 0; // anonymous pages (the heap among them): what other processes' sharing leaves alone
};

/// PSS, RSS and anonymous memory of this process, after glibc gave back what it keeps on its free lists.
Result<Memory> readMemory()
{
    malloc_trim(0);
    QFile file(QStringLiteral("/proc/self/smaps_rollup"));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return failure(QStringLiteral("cannot read /proc/self/smaps_rollup: %1").arg(file.errorString()));
    std::optional<qint64> pss, rss, anon;
    // A /proc file has no size, so atEnd() is true at once: read until a read gives nothing.
    for (QByteArray line = file.readLine(); !line.isEmpty(); line = file.readLine()) {
        const QList<QByteArray> parts = line.simplified().split(' ');
        if (parts.size() != 3 || parts[2] != "kB")
            continue;
        bool ok = false;
        const qint64 kb = parts[1].toLongLong(&ok);
        if (!ok)
            continue;
        if (parts[0] == "Pss:")
            pss = kb;
        else if (parts[0] == "Rss:")
            rss = kb;
        else if (parts[0] == "Anonymous:")
            anon = kb;
    }
    if (!pss || !rss || !anon || *pss <= 0 || *rss <= 0 || *anon <= 0)
        return failure(QStringLiteral("/proc/self/smaps_rollup has no Pss, Rss and Anonymous lines in kB"));
    return Memory {*pss, *rss, *anon};
}

/// The busiest moment of the schedule: how many grants run at once when request i starts at step
/// `due[i]` and keeps its target until `busySteps` later.
int maxOverlap(const QList<int> &due, int busySteps)
{
    int most = 0;
    for (int i = 0; i < due.size(); ++i) {
        int at = 0;
        for (int j = 0; j < due.size(); ++j)
            if (due[j] <= due[i] && due[i] < due[j] + busySteps)
                ++at;
        most = std::max(most, at);
    }
    return most;
}

struct Settings
{
    QString configPath;
    QUrl emulator;
    int hours = 24;
    int stepMinutes = 5;
    int requests = 20;
    int menus = 100;
    int menuMs = 200;
};

/// A target the day requests: eligible, mapped, and its policy asks for nobody and nothing extra.
struct Candidate
{
    Core::Target target;
    Core::ActivationPolicy policy;
};

class Workday
{
public:
    explicit Workday(Settings settings)
        : m_settings(std::move(settings))
    { }

    Result<void> run();
    QString json() const;

private:
    Result<void> alignClock();
    Result<QJsonObject> admin(const QByteArray &verb, const QString &path, const QJsonObject &body = {});
    Result<void> advance(qint64 seconds);
    Result<void> waitReady();
    Result<void> pickCandidates(int needed);
    Result<void> sync();
    const Candidate *freeCandidate();
    Result<void> request(const Candidate &candidate, bool inDay);
    Result<void> openMenu(bool inDay);
    Result<Memory> settleAndMeasure();
    Result<void> checkEmulator();

    Graph::RequestTracker *requests() const { return m_app->pim()->requests(); }

    Settings m_settings;
    // What the emulator's clock says: moved together with the emulator's (POST /_emulator/clock/advance),
    // so the app and the emulator agree on "now".
    Test::OffsetClock m_clock;
    QNetworkAccessManager m_nam; // the admin API only; the app has its own
    QObject m_context; // receives the app's signals
    std::unique_ptr<App::TrayApp> m_app; // declared after the clock it reads, so it goes first
    QList<Candidate> m_candidates;
    int m_nextCandidate = 0; // where freeCandidate() looks first
    QHash<QString, bool> m_liveGrants; // grant id -> made during the day (not the warm-up)
    QSet<QString> m_requestIds; // every request the driver made, warm-up included
    QString m_principalId;
    bool m_warmupEnded = false;
    int m_warmupRequests = 0;
    int m_requestsMade = 0;
    int m_grantsEnded = 0;
    int m_menuShows = 0; // aboutToShow of the tray menu, as the app saw it
    int m_menusOpened = 0;
    int m_appErrors = 0;
    int m_steps = 0;
    Memory m_before, m_after;
    QElapsedTimer m_wall;
    qint64 m_dayMs = 0;
};

Result<QJsonObject> Workday::admin(const QByteArray &verb, const QString &path, const QJsonObject &body)
{
    QNetworkRequest request(m_settings.emulator.resolved(QUrl(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setTransferTimeout(kCallTimeoutMs);
    QNetworkReply *reply = verb == "GET"
        ? m_nam.get(request)
        : m_nam.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    const std::unique_ptr<QNetworkReply> owner(reply);
    if (!waitUntil([reply] { return reply->isFinished(); }, kCallTimeoutMs + 5000))
        return failure(
            QStringLiteral("the emulator did not answer %1 %2").arg(QString::fromLatin1(verb), path));
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray data = reply->readAll();
    if (reply->error() != QNetworkReply::NoError && status == 0)
        return failure(QStringLiteral("%1 %2 at the emulator failed: %3")
                           .arg(QString::fromLatin1(verb), path, reply->errorString()));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(data, &parseError);
    if (status != 200 || !doc.isObject())
        return failure(QStringLiteral("%1 %2 at the emulator answered HTTP %3: %4")
                           .arg(QString::fromLatin1(verb), path)
                           .arg(status)
                           .arg(QString::fromUtf8(data.left(300))));
    return doc.object();
}

Result<void> Workday::alignClock()
{
    // An advance by nothing answers the emulator's "now": start from its offset, whatever it is.
    auto r = admin("POST", QStringLiteral("/_emulator/clock/advance"), {{QStringLiteral("seconds"), 0}});
    if (!r.ok())
        return r.error();
    const QDateTime emulatorNow
        = QDateTime::fromString(r->value(QStringLiteral("now")).toString(), Qt::ISODate);
    if (!emulatorNow.isValid())
        return failure(QStringLiteral("the emulator's clock/advance answer has no readable \"now\""));
    // The answer is in whole seconds, the fraction cut off (0 to 1 s early): half a second back in,
    // then the nearest whole number of seconds is the emulator's offset.
    const qint64 offsetMs = QDateTime::currentDateTimeUtc().msecsTo(emulatorNow) + 500;
    m_clock.advance(qint64(std::llround(double(offsetMs) / 1000.0)));
    return {};
}

Result<void> Workday::advance(qint64 seconds)
{
    auto r
        = admin("POST", QStringLiteral("/_emulator/clock/advance"), {{QStringLiteral("seconds"), seconds}});
    if (!r.ok())
        return r.error();
    m_clock.advance(seconds);
    const QDateTime emulatorNow
        = QDateTime::fromString(r->value(QStringLiteral("now")).toString(), Qt::ISODate);
    const qint64 apart = emulatorNow.isValid() ? std::abs(emulatorNow.secsTo(m_clock.now())) : -1;
    if (apart < 0 || apart > 3)
        return failure(
            QStringLiteral("the emulator's clock (%1) and the driver's (%2) are %3 s apart after an "
                           "advance; is something else moving the emulator's clock?")
                .arg(r->value(QStringLiteral("now")).toString(), m_clock.now().toString(Qt::ISODate))
                .arg(apart));
    return {};
}

Result<void> Workday::waitReady()
{
    Ui::PimPresenter *pim = m_app->pim();
    const bool ready = waitUntil(
        [pim] {
            return pim->status() == Ui::PimPresenter::Status::SignedOut
                || (pim->status() == Ui::PimPresenter::Status::Ready && !pim->targets()->targets().isEmpty());
        },
        kReadyTimeoutMs);
    if (pim->status() == Ui::PimPresenter::Status::SignedOut) {
        const Error &e = pim->lastError();
        return failure(
            e.kind == Error::Kind::None
                ? QStringLiteral("the tray did not find a saved sign-in in the keychain; run `elevate "
                                 "--config %1 login` in the same desktop session first")
                      .arg(m_settings.configPath)
                : Ui::ErrorText::describe(QStringLiteral("The tray's silent sign-in"), e));
    }
    if (!ready)
        return failure(
            QStringLiteral(
                "the tray was not ready with eligible targets within %1 s (status %2, %3 targets)%4")
                .arg(kReadyTimeoutMs / 1000)
                .arg(int(pim->status()))
                .arg(pim->targets()->targets().size())
                .arg(pim->lastError().kind == Error::Kind::None ? QString()
                                                                : QStringLiteral(": ")
                             + Ui::ErrorText::describe(QStringLiteral("Loading"), pim->lastError())));
    if (!m_app->tray()->trayIcon()->isVisible())
        return failure(QStringLiteral("the tray icon is not shown"));
    m_principalId = pim->account() ? pim->account()->objectId : QString();
    if (m_principalId.isEmpty())
        return failure(QStringLiteral("the tray is ready but has no signed-in account"));
    return {};
}

Result<void> Workday::pickCandidates(int needed)
{
    // One spare when there is one, so a target whose end is seen late does not hold up a request.
    const int wanted = needed + 1;
    int read = 0;
    for (const Core::Target &t : m_app->pim()->targets()->targets()) {
        if (m_candidates.size() >= wanted)
            break;
        const Core::Eligibility &e = t.eligibility;
        if (!t.isMapped() || e.access != Core::AccessKind::Member || e.memberType == u"group")
            continue;
        Pending<Result<Core::ActivationPolicy>> p;
        requests()->policy(e.groupId, e.access, p.context(), p.answer());
        if (!p.wait(kCallTimeoutMs))
            return failure(QStringLiteral("reading the policy of %1 took more than %2 s")
                               .arg(t.key())
                               .arg(kCallTimeoutMs / 1000));
        ++read;
        if (!p.value().ok())
            continue; // unreadable (403): PIM would judge on arrival; not a target to plan with
        const Core::ActivationPolicy &policy = p.value().value();
        if (policy.approvalRequired || policy.mfaRequired || !policy.authenticationContext.isEmpty()
            || policy.maximumDurationSecs < kGrantSecs)
            continue;
        m_candidates << Candidate {t, policy};
    }
    if (m_candidates.size() < needed)
        return failure(
            QStringLiteral("the day needs %1 targets at a time whose policy asks for no approval, MFA or "
                           "authentication context and allows 1 hour; the %2 policies read gave %3 "
                           "(fewer --requests, more --hours, or a scenario with more such targets)")
                .arg(needed)
                .arg(read)
                .arg(m_candidates.size()));
    return {};
}

Result<void> Workday::sync()
{
    // What the tray does when told something changed: its grants and requests, and the approver queue.
    Error last;
    for (int attempt = 0; attempt < 2; ++attempt) {
        Pending<Result<void>> grants, approvals;
        requests()->sync(grants.context(), grants.answer());
        m_app->pim()->approvals()->refresh(approvals.context(), approvals.answer());
        if (!grants.wait(kCallTimeoutMs) || !approvals.wait(kCallTimeoutMs))
            return failure(QStringLiteral("a sync took more than %1 s").arg(kCallTimeoutMs / 1000));
        if (grants.value().ok() && approvals.value().ok())
            return {};
        last = grants.value().ok() ? approvals.value().error() : grants.value().error();
        runFor(1000); // once more after a second: one failed call is not the app's state
    }
    return failure(Ui::ErrorText::describe(QStringLiteral("Syncing twice"), last));
}

const Candidate *Workday::freeCandidate()
{
    // Round the targets in turn (different policies, menu lines and history rows), skipping busy ones.
    for (int i = 0; i < m_candidates.size(); ++i) {
        const int at = (m_nextCandidate + i) % int(m_candidates.size());
        const Core::Eligibility &e = m_candidates[at].target.eligibility;
        if (!requests()->grantFor(e.groupId, e.access) && !requests()->openRequestFor(e.groupId, e.access)) {
            m_nextCandidate = at + 1;
            return &m_candidates[at];
        }
    }
    return nullptr;
}

Result<void> Workday::request(const Candidate &candidate, bool inDay)
{
    const Core::Eligibility &e = candidate.target.eligibility;
    const int n = m_requestsMade + m_warmupRequests + 1;
    // The request form's draft, filled as a person would fill it for this policy.
    Core::ActivationDraft draft;
    draft.groupId = e.groupId;
    draft.access = e.access;
    draft.durationSecs = kGrantSecs;
    if (candidate.policy.justificationRequired)
        draft.justification = QStringLiteral("Emulated working day, task %1").arg(n);
    if (candidate.policy.ticketRequired) {
        draft.ticketSystem = QStringLiteral("Bench");
        draft.ticketNumber = QStringLiteral("DAY-%1").arg(n);
    }
    Pending<Result<Core::AccessRequest>> p;
    requests()->request(candidate.target, draft, p.context(), p.answer());
    if (!p.wait(kCallTimeoutMs))
        return failure(QStringLiteral("the request for %1 took more than %2 s")
                           .arg(candidate.target.key())
                           .arg(kCallTimeoutMs / 1000));
    if (!p.value().ok())
        return failure(Ui::ErrorText::describe(
            QStringLiteral("The request for %1").arg(candidate.target.key()), p.value().error()));
    const Core::AccessRequest &made = p.value().value();
    m_requestIds.insert(made.id);
    const auto phase = made.phase();
    if (phase != Core::RequestPhase::Active && phase != Core::RequestPhase::InProgress)
        return failure(
            QStringLiteral("the request for %1 is %2, not provisioned (its policy asks for no approval)")
                .arg(candidate.target.key(), made.status));
    if (inDay)
        ++m_requestsMade;
    else
        ++m_warmupRequests;

    // Its grant, as the app lists it.
    QElapsedTimer waited;
    waited.start();
    while (!requests()->grantFor(draft.groupId, draft.access)) {
        if (waited.elapsed() > kGrantTimeoutMs)
            return failure(QStringLiteral("the grant of %1 (request %2) was not listed within %3 s")
                               .arg(candidate.target.key(), made.id)
                               .arg(kGrantTimeoutMs / 1000));
        Pending<Result<void>> s;
        requests()->syncSettled(s.context(), s.answer());
        if (!s.wait(kCallTimeoutMs))
            return failure(QStringLiteral("a sync took more than %1 s").arg(kCallTimeoutMs / 1000));
        if (!requests()->grantFor(draft.groupId, draft.access))
            runFor(200);
    }
    const Core::Grant grant = *requests()->grantFor(draft.groupId, draft.access);
    if (grant.isPermanent() || grant.start.secsTo(grant.end) > kGrantSecs + 60)
        return failure(QStringLiteral("the grant of %1 does not end an hour after it starts (%2 to %3)")
                           .arg(candidate.target.key(), grant.start.toString(Qt::ISODate),
                                grant.end.toString(Qt::ISODate)));
    m_liveGrants.insert(grant.id, inDay);
    return {};
}

Result<void> Workday::openMenu(bool inDay)
{
    QMenu *menu = m_app->tray()->menu();
    const int shows = m_menuShows;
    const QRect icon = m_app->tray()->trayIcon()->geometry();
    menu->popup(icon.isValid() ? icon.bottomLeft() : QPoint(20, 40));
    if (!waitUntil([menu] { return menu->isVisible(); }, 5000))
        return failure(QStringLiteral("the tray menu did not show within 5 s"));
    runFor(m_settings.menuMs); // open: the countdowns tick
    menu->hide();
    if (!waitUntil([menu] { return !menu->isVisible(); }, 5000))
        return failure(QStringLiteral("the tray menu did not close within 5 s"));
    if (m_menuShows != shows + 1)
        return failure(QStringLiteral("the tray menu was shown but its aboutToShow ran %1 times")
                           .arg(m_menuShows - shows));
    if (inDay)
        ++m_menusOpened;
    return {};
}

Result<Memory> Workday::settleAndMeasure()
{
    runFor(kSettleMs);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    return readMemory();
}

Result<void> Workday::checkEmulator()
{
    // The emulator's own account, read after the "after" figure (the state of a whole day is large).
    auto state = admin("GET", QStringLiteral("/_emulator/state"));
    if (!state.ok())
        return state.error();
    int seen = 0;
    for (const QJsonValue &v : state->value(QStringLiteral("requests")).toArray()) {
        const QJsonObject r = v.toObject();
        if (!m_requestIds.contains(r.value(QStringLiteral("id")).toString()))
            continue;
        if (r.value(QStringLiteral("principalId")).toString() != m_principalId)
            return failure(QStringLiteral("the emulator lists request %1 for another principal")
                               .arg(r.value(QStringLiteral("id")).toString()));
        ++seen;
    }
    if (seen != m_requestIds.size())
        return failure(QStringLiteral("the emulator lists %1 of the %2 requests the driver made")
                           .arg(seen)
                           .arg(m_requestIds.size()));
    for (const QJsonValue &v : state->value(QStringLiteral("grants")).toArray()) {
        const QJsonObject g = v.toObject();
        if (m_requestIds.contains(g.value(QStringLiteral("requestId")).toString()))
            return failure(
                QStringLiteral("the app saw every grant end, yet the emulator still lists %1 (ends %2)")
                    .arg(g.value(QStringLiteral("groupDisplayName")).toString(),
                         g.value(QStringLiteral("endDateTime")).toString()));
    }
    return {};
}

Result<void> Workday::run()
{
    m_wall.start();
    if (const auto cfg = Core::AppConfig::load(m_settings.configPath); !cfg.ok())
        return failure(
            Ui::ErrorText::describe(QStringLiteral("Loading %1").arg(m_settings.configPath), cfg.error()));
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return failure(QStringLiteral("no system tray on this display (run inside scripts/desktop-session)"));
    if (auto r = alignClock(); !r.ok())
        return r;

    const qint64 stepSecs = qint64(m_settings.stepMinutes) * 60;
    const int steps = m_settings.hours * 60 / m_settings.stepMinutes;
    // A grant made after step k is seen ended at the sync of step k + ceil(1 h / step) (the clock has
    // moved on by real seconds too); one step more for safety.
    const int busySteps = int((kGrantSecs + stepSecs - 1) / stepSecs) + 1;
    const int lastRequestStep = steps - busySteps;
    if (m_settings.requests > 0 && lastRequestStep < 1)
        return failure(
            QStringLiteral("--hours %1 with --step-minutes %2 leaves no time for a 1-hour grant to end "
                           "within the day")
                .arg(m_settings.hours)
                .arg(m_settings.stepMinutes));
    QList<int> requestDue, menuDue;
    for (int i = 0; i < m_settings.requests; ++i)
        requestDue << 1 + int(qint64(i) * lastRequestStep / m_settings.requests);
    for (int j = 0; j < m_settings.menus; ++j)
        menuDue << 1 + int(qint64(j) * steps / m_settings.menus);

    App::TrayApp::Options options;
    options.configPath = m_settings.configPath;
    options.clock = &m_clock;
    m_app = std::make_unique<App::TrayApp>(options);
    if (auto started = m_app->start(); !started.ok())
        return failure(Ui::ErrorText::describe(QStringLiteral("Starting the tray"), started.error()));
    QObject::connect(m_app->pim(), &Ui::PimPresenter::errorOccurred, &m_context,
                     [this](const QString &operation, const Error &error) {
                         ++m_appErrors;
                         QTextStream(stderr)
                             << "workday: the app reports: " << Ui::ErrorText::describe(operation, error)
                             << '\n';
                     });
    QObject::connect(m_app->tray()->menu(), &QMenu::aboutToShow, &m_context, [this] { ++m_menuShows; });
    QObject::connect(requests(), &Graph::RequestTracker::grantEnded, &m_context,
                     [this](const Core::Grant &grant, Core::Outcome) {
                         const auto it = m_liveGrants.constFind(grant.id);
                         if (it == m_liveGrants.cend())
                             return;
                         if (*it)
                             ++m_grantsEnded;
                         else
                             m_warmupEnded = true;
                         m_liveGrants.erase(it);
                     });
    if (auto r = waitReady(); !r.ok())
        return r;
    if (auto r = pickCandidates(std::max(1, maxOverlap(requestDue, busySteps))); !r.ok())
        return r;

    // Warm-up: the day's cycle once, so first-time allocations are not counted as growth.
    if (auto r = sync(); !r.ok())
        return r;
    const Candidate *first = freeCandidate();
    if (!first)
        return failure(QStringLiteral("every usable target already has a grant or an open request"));
    if (auto r = request(*first, false); !r.ok())
        return r;
    if (auto r = openMenu(false); !r.ok())
        return r;
    for (int i = 0; i < busySteps + 2 && !m_warmupEnded; ++i) {
        if (auto r = advance(stepSecs); !r.ok())
            return r;
        if (auto r = sync(); !r.ok())
            return r;
    }
    if (!m_warmupEnded)
        return failure(QStringLiteral("the warm-up's grant did not end as the app sees it within %1 steps")
                           .arg(busySteps + 2));
    if (auto r = openMenu(false); !r.ok())
        return r;
    auto before = settleAndMeasure();
    if (!before.ok())
        return before.error();
    m_before = before.value();
    m_appErrors = 0; // the JSON counts the day's
    QTextStream(stderr) << "workday: warm-up done; before: PSS " << m_before.pssKb << " kB, RSS "
                        << m_before.rssKb << " kB (after malloc_trim(0)); " << m_candidates.size()
                        << " targets to request\n";

    // The day.
    QElapsedTimer day;
    day.start();
    int nextRequest = 0, nextMenu = 0;
    for (int step = 1; step <= steps; ++step) {
        if (auto r = advance(stepSecs); !r.ok())
            return r;
        if (auto r = sync(); !r.ok())
            return failure(QStringLiteral("step %1: %2").arg(step).arg(r.error().message));
        ++m_steps;
        // A request whose every target is still busy waits for the next step.
        while (nextRequest < requestDue.size() && requestDue[nextRequest] <= step) {
            const Candidate *c = freeCandidate();
            if (!c)
                break;
            if (auto r = request(*c, true); !r.ok())
                return failure(QStringLiteral("step %1: %2").arg(step).arg(r.error().message));
            ++nextRequest;
        }
        while (nextMenu < menuDue.size() && menuDue[nextMenu] <= step) {
            if (auto r = openMenu(true); !r.ok())
                return failure(QStringLiteral("step %1: %2").arg(step).arg(r.error().message));
            ++nextMenu;
        }
        if (step % (steps / 4 > 0 ? steps / 4 : 1) == 0)
            QTextStream(stderr) << "workday: " << step * m_settings.stepMinutes / 60 << " h of "
                                << m_settings.hours << ": " << m_requestsMade << " requests, "
                                << m_grantsEnded << " grants ended, " << m_menusOpened << " menus, "
                                << day.elapsed() / 1000 << " s\n";
    }
    m_dayMs = day.elapsed();

    auto after = settleAndMeasure();
    if (!after.ok())
        return after.error();
    m_after = after.value();

    if (m_requestsMade != m_settings.requests)
        return failure(QStringLiteral("%1 of %2 requests were made within the day (targets stayed busy)")
                           .arg(m_requestsMade)
                           .arg(m_settings.requests));
    if (m_grantsEnded != m_requestsMade)
        return failure(QStringLiteral("the app saw %1 of the day's %2 grants end within the day")
                           .arg(m_grantsEnded)
                           .arg(m_requestsMade));
    if (m_menusOpened != m_settings.menus)
        return failure(
            QStringLiteral("%1 of %2 menu openings happened").arg(m_menusOpened).arg(m_settings.menus));
    return checkEmulator();
}

QString Workday::json() const
{
    return QStringLiteral(
               "{\"pss_before_kb\":%1,\"pss_after_kb\":%2,\"rss_before_kb\":%3,\"rss_after_kb\":%4,"
               "\"requests\":%5,\"grants_ended\":%6,\"menus\":%7,\"steps\":%8,\"seconds\":%9,")
               .arg(m_before.pssKb)
               .arg(m_after.pssKb)
               .arg(m_before.rssKb)
               .arg(m_after.rssKb)
               .arg(m_requestsMade)
               .arg(m_grantsEnded)
               .arg(m_menusOpened)
               .arg(m_steps)
               .arg(QString::number(double(m_wall.elapsed()) / 1000.0, 'f', 1))
        + QStringLiteral("\"anon_before_kb\":%1,\"anon_after_kb\":%2,")
              .arg(m_before.anonKb)
              .arg(m_after.anonKb)
        + QStringLiteral("\"day_seconds\":%1,\"hours\":%2,\"step_minutes\":%3,\"warmup_requests\":%4,"
                         "\"app_errors\":%5,\"memory\":\"/proc/self/smaps_rollup after malloc_trim(0)\"}")
              .arg(QString::number(double(m_dayMs) / 1000.0, 'f', 1))
              .arg(m_settings.hours)
              .arg(m_settings.stepMinutes)
              .arg(m_warmupRequests)
              .arg(m_appErrors);
}

/// The command line, or a sentence saying what is wrong with it.
Result<Settings> parseArguments(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "An emulated working day of the Elevate tray against elevate-emulator; prints PSS and RSS "
        "before and after it as one JSON line."));
    parser.addHelpOption();
    const QCommandLineOption config(QStringLiteral("config"),
                                    QStringLiteral("The configuration (--write-config)."),
                                    QStringLiteral("file"));
    const QCommandLineOption emulator(QStringLiteral("emulator"), QStringLiteral("The emulator's base URL."),
                                      QStringLiteral("url"));
    const QCommandLineOption hours(QStringLiteral("hours"), QStringLiteral("Length of the day (24)."),
                                   QStringLiteral("n"), QStringLiteral("24"));
    const QCommandLineOption step(QStringLiteral("step-minutes"), QStringLiteral("Clock step (5)."),
                                  QStringLiteral("n"), QStringLiteral("5"));
    const QCommandLineOption requests(QStringLiteral("requests"), QStringLiteral("Requests of 1 hour (20)."),
                                      QStringLiteral("n"), QStringLiteral("20"));
    const QCommandLineOption menus(QStringLiteral("menus"),
                                   QStringLiteral("Openings of the tray menu (100)."), QStringLiteral("n"),
                                   QStringLiteral("100"));
    const QCommandLineOption menuMs(QStringLiteral("menu-ms"),
                                    QStringLiteral("Real milliseconds each opening stays open (200)."),
                                    QStringLiteral("n"), QStringLiteral("200"));
    parser.addOptions({config, emulator, hours, step, requests, menus, menuMs});
    if (!parser.parse(arguments))
        return failure(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText();
        return Error::make(Error::Kind::Cancelled, {});
    }
    if (!parser.positionalArguments().isEmpty())
        return failure(
            QStringLiteral("unexpected argument %1").arg(parser.positionalArguments().constFirst()));
    Settings s;
    s.configPath = parser.value(config);
    if (s.configPath.isEmpty())
        return failure(QStringLiteral("--config FILE is required"));
    if (!QFileInfo(s.configPath).isFile())
        return failure(QStringLiteral("--config %1: no such file").arg(s.configPath));
    s.emulator = QUrl(parser.value(emulator), QUrl::StrictMode);
    if (!s.emulator.isValid() || s.emulator.scheme() != u"http" || !Core::isLoopbackUrl(s.emulator))
        return failure(
            QStringLiteral("--emulator must be the emulator's http://127.0.0.1:PORT base URL, not \"%1\"")
                .arg(parser.value(emulator)));
    struct Number
    {
        const QCommandLineOption &option;
        int *into;
        int min, max;
    };
    for (const Number &n : {Number {hours, &s.hours, 1, 24 * 14}, Number {step, &s.stepMinutes, 1, 60},
                            Number {requests, &s.requests, 0, 1000}, Number {menus, &s.menus, 0, 100'000},
                            Number {menuMs, &s.menuMs, 0, 10'000}}) {
        bool ok = false;
        const int value = parser.value(n.option).toInt(&ok);
        if (!ok || value < n.min || value > n.max)
            return failure(QStringLiteral("--%1 must be a whole number from %2 to %3, not \"%4\"")
                               .arg(n.option.names().constFirst())
                               .arg(n.min)
                               .arg(n.max)
                               .arg(parser.value(n.option)));
        *n.into = value;
    }
    if ((s.hours * 60) % s.stepMinutes != 0)
        return failure(
            QStringLiteral("--step-minutes %1 does not divide %2 hours").arg(s.stepMinutes).arg(s.hours));
    return s;
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")) {
        QTextStream(stderr) << "elevate-bench-workday: no display (run inside scripts/desktop-session)\n";
        return 1;
    }
    QApplication app(argc, argv);
    // The tray's own names: the same keychain entries and paths as `elevate login` used.
    QApplication::setApplicationName(QStringLiteral("Elevate"));
    QApplication::setOrganizationName(QStringLiteral("Elevate"));
    QApplication::setQuitOnLastWindowClosed(false);

    auto settings = parseArguments(QCoreApplication::arguments());
    if (!settings.ok()) {
        if (settings.error().kind == Error::Kind::Cancelled)
            return 0; // --help
        QTextStream(stderr) << "elevate-bench-workday: " << settings.error().message << '\n';
        return 1;
    }
    int code = 1;
    {
        Workday workday(settings.value());
        QTimer::singleShot(0, &app, [&workday, &code] {
            const auto result = workday.run();
            if (result.ok()) {
                QTextStream(stdout) << workday.json() << '\n';
                code = 0;
            } else {
                QTextStream(stderr) << "elevate-bench-workday: " << result.error().message << '\n';
            }
            QCoreApplication::exit(code);
        });
        app.exec();
    }
    return code;
}
