// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"
#include "core/model.h"
#include "core/pim.h"

#include <QDialog>

#include <memory>
#include <optional>

namespace Ui {
class RequestDialog;
}

namespace Elevate::Ui {

class PimPresenter;

/**
 * The request form of one target (ui/requestdialog.ui). It knows the group's policy before the
 * user types: the duration is capped at the policy's maximum, justification and ticket are marked
 * required when the policy says so, and the first line says whether an approver must act. The form
 * is checked before anything is sent (Core::validateDraft); problems are shown under the fields and
 * the first bad field gets the focus.
 *
 *   open ─▶ "reading the policy…" ─setPolicy()─▶ fields enabled ─OK─▶ validate ─▶ submitted(draft)
 *        ─▶ busy ─▶ finishWithSuccess() closes | showError() shows why and keeps what was typed
 */
class RequestDialog : public QDialog
{
    Q_OBJECT
public:
    RequestDialog(const Core::Target &target, const Core::Clock *clock, QWidget *parent = nullptr);
    ~RequestDialog() override;

    /**
     * The whole form flow for one target: a non-modal dialog (deleted on close) with the recent
     * entries from the history, the policy loaded through the presenter, and a submit that
     * requests (or, with `renew`, ends the grant and requests again) and shows the outcome in the
     * form. Returns the dialog, already shown.
     */
    static RequestDialog *open(PimPresenter *pim, const Core::Target &target, int defaultDurationMinutes,
                               const std::optional<Core::Grant> &renew = std::nullopt,
                               QWidget *parent = nullptr);

    const Core::Target &target() const { return m_target; }
    /// What the form starts with: the default duration and recent entries from the history.
    void setDefaults(int durationMinutes, const QStringList &recentJustifications,
                     const QStringList &recentTicketSystems);
    /// Prefills from an earlier request (renew).
    void prefill(const Core::ActivationDraft &draft);
    void setPolicy(const Core::ActivationPolicy &policy);
    void setPolicyError(const QString &message);
    /// Renewing a live grant: PIM cannot extend it, so Elevate ends it and asks again; says what
    /// that means (approval again, a short gap).
    void setRenewal(const Core::Grant &grant);
    bool isRenewal() const { return m_renewal.has_value(); }
    const std::optional<Core::Grant> &renewal() const { return m_renewal; }

    Core::ActivationDraft draft() const;
    /// Checks the form against the policy; shows the problems and focuses the first bad field.
    bool validate();
    void setBusy(bool busy);
    void showError(const QString &message);
    /// The request went through: close.
    void finishWithSuccess();

    std::optional<Core::ActivationPolicy> policy() const { return m_policy; }

Q_SIGNALS:
    void submitted(const Elevate::Core::ActivationDraft &draft);

public:
    void accept() override;

private:
    void updateRequiredMarks();
    void showProblems(const QStringList &lines);

    std::unique_ptr<::Ui::RequestDialog> m_ui;
    Core::Target m_target;
    const Core::Clock *m_clock;
    std::optional<Core::ActivationPolicy> m_policy;
    std::optional<Core::Grant> m_renewal;
    bool m_busy = false;
    bool m_triedOnce = false;
    QString m_okText; // the OK button's text while it says "Sending…"
};

} // namespace Elevate::Ui
