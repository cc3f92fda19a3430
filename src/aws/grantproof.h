// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"
#include "core/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <optional>

namespace Elevate::Aws {

/**
 * What one Graph check established: this Entra account had a live PIM grant for this AWS account and
 * role (through this group, until this end) when the check was sent. No token, no key, nothing a
 * caller could use to reach a service: only names, ids and times.
 */
struct GrantProof
{
    QString entraAccount; // the signed-in Entra account (home account id)
    QString scope; // the configuration it was checked with (its keychain service)
    QString accountId;
    QString roleName;
    QString groupId;
    QString groupName;
    QDateTime grantEnd; // Graph's clock; invalid: a permanent assignment
    qint64 serverSkewSecs = 0; // Graph's clock minus the local one at the check
    QDateTime checkedAt; // the local clock when the check was sent
    QByteArray changeStamp; // a digest of the change stamp's content then (Core::ChangeNotice)

    /// The grant's end on the local clock (what the AWS CLI compares an Expiration with).
    QDateTime grantEndLocal() const
    {
        return grantEnd.isValid() ? grantEnd.addSecs(-serverSkewSecs) : QDateTime();
    }

    QByteArray toJson() const;
    /// nullopt for anything that is not a well-formed proof (bounded size, checked types and ranges;
    /// never throws). A parser of a file anyone with access to the directory could have written.
    static std::optional<GrantProof> fromJson(const QByteArray &bytes);
};

/**
 * The proofs of `elevate credential-process`: the AWS CLI re-runs it for every command and, in a
 * grant's last 15 minutes, for every request (botocore's refresh window). A fresh proof lets a run
 * skip Entra and Graph, so a burst costs at most one Graph call per kMaxAgeSecs; a grant ended
 * elsewhere is refused once the proof is that old, one ended on this machine at once.
 *
 *   credential-process ──find()── Fresh ──▶ credentials (keychain cache / portal), Expiration ≤ grant end
 *                               └─ anything else ──▶ Entra + Graph ──live──▶ save() ──▶ credentials
 *                                                                   └─none──▶ remove(), refuse
 *
 * A proof is Fresh only when it is at most kMaxAgeSecs old by the local clock (and not from the
 * future), its grant has not ended by Graph's clock (the stored skew), it belongs to the same Entra
 * account and configuration, and the change stamp beside the history (touched by every request,
 * deactivation, decision and end-all on this machine) still says what it said at the check.
 * RolePipeline removes a target's proof with its profile and cached credentials when the grant ends.
 *
 * Where: one small JSON file per target, 0600, in `grant-proofs/` beside the history database and the
 * change stamp, replaced atomically (QSaveFile). Not the keychain: a proof is no secret, a file is
 * read synchronously without a D-Bus round trip or a locked-keychain prompt (the point is to be
 * quick), and it sits next to the stamp it is checked against. A file that is not ours (another
 * owner, writable by others), corrupt or for another account counts as no proof.
 */
class GrantProofStore
{
public:
    static constexpr qint64 kMaxAgeSecs = 60;
    enum class Verdict {
        Fresh,
        Missing,
        Unreadable, // corrupt, too large, not ours, or for another target
        Foreign, // another Entra account or configuration
        TooOld,
        FromTheFuture,
        GrantOver,
        ChangedSince, // the change stamp moved: something happened on this machine since
    };
    struct Lookup
    {
        Verdict verdict = Verdict::Missing;
        std::optional<GrantProof> proof; // set when Fresh
    };

    /// `directory`: where the proofs live; `stampPath`: the change stamp they are checked against.
    GrantProofStore(QString directory, QString stampPath, const Core::Clock *clock);
    /// The store that goes with a history database: grant-proofs/ and changes.stamp beside it.
    static GrantProofStore beside(const QString &historyPath, const Core::Clock *clock);

    QString directory() const { return m_directory; }
    QString path(const QString &accountId, const QString &roleName) const;
    /// A digest of what the change stamp says now (of nothing when there is none).
    QByteArray currentStamp() const;

    Core::Result<void> save(const GrantProof &proof) const;
    Lookup find(const QString &accountId, const QString &roleName, const QString &entraAccount,
                const QString &scope) const;
    /// The verdict on a proof already read (no file access but the stamp passed in).
    Verdict judge(const GrantProof &proof, const QString &entraAccount, const QString &scope,
                  const QByteArray &stampNow) const;
    void remove(const QString &accountId, const QString &roleName) const;
    void removeAll() const;

    static QString verdictName(Verdict v);

private:
    QString m_directory;
    QString m_stampPath;
    const Core::Clock *m_clock;
};

} // namespace Elevate::Aws
