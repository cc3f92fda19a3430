// SPDX-License-Identifier: GPL-3.0-or-later
// The AWS CLI's INI files as IniDocument reads and edits them: parse must never crash or hang on
// any bytes; what it accepts must serialise back byte for byte; adding a section and removing it
// again must leave every byte the user wrote as it was (a line terminator added to a last line that
// had none excepted, see IniDocument::setSection), and the edited document must parse again.
// Every header also goes through botocore's header-to-profile rule (AwsFiles::profileOfHeader), and
// the input as a path through its path expansion (AwsFiles::expandPath).
#include "aws/awsfiles.h"
#include "aws/inifile.h"

#include <cstdint>
#include <cstdlib>

using Elevate::Aws::AwsFiles;
using Elevate::Aws::IniDocument;
using Elevate::Aws::IniKeyValues;

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort();
}

} // namespace

void checkPath(const QByteArray &bytes)
{
    if (bytes.size() > 512)
        return;
    const QString path = QString::fromUtf8(bytes);
    const QString expanded = AwsFiles::expandPath(path);
    if (!path.contains(u'$') && !path.startsWith(u'~'))
        check(expanded == path); // nothing to expand: as written
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    checkPath(bytes);
    auto parsed = IniDocument::parse(bytes);
    if (!parsed.ok())
        return 0;
    IniDocument doc = parsed.value();
    check(doc.serialise() == bytes);
    for (const QString &header : doc.sectionNames()) {
        const auto profile = AwsFiles::profileOfHeader(header);
        // A name Elevate could write reads back as itself from the header Elevate would write.
        if (profile && AwsFiles::isValidProfileName(*profile))
            check(AwsFiles::profileOfHeader(QStringLiteral("profile ") + *profile) == *profile);
    }

    const QString name = QStringLiteral("profile elevate-fuzz-000000000000-Role");
    if (doc.hasSection(name))
        return 0;
    const IniKeyValues keys
        = {{QStringLiteral("credential_process"), QStringLiteral("/bin/true --x \"a b\"")},
           {QStringLiteral("region"), QStringLiteral("eu-central-1")},
           {QStringLiteral("s3"), QStringLiteral("\nmax_concurrent_requests = 20")}};
    if (!doc.setSection(name, keys, {QStringLiteral("Managed by Elevate (fuzz)")}))
        return 0; // refused as a whole: nothing changed
    const QByteArray edited = doc.serialise();
    check(edited.startsWith(bytes)); // appended after what was there
    auto reparsed = IniDocument::parse(edited);
    check(reparsed.ok());
    check(reparsed.value().section(name).has_value());

    check(doc.removeSection(name));
    const QByteArray back = doc.serialise();
    const bool sameOrTerminated
        = back == bytes || back == bytes + '\n' || back == bytes + "\r\n" || back == bytes + '\r';
    check(sameOrTerminated);
    return 0;
}
