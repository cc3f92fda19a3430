// SPDX-License-Identifier: GPL-3.0-or-later
#include "requestdialog.h"

#include "errortext.h"
#include "graph/pimwording.h"
#include "graph/requesttracker.h"
#include "pimpresenter.h"
#include "targetsmodel.h"
#include "ui_requestdialog.h"

#include <QLineEdit>
#include <QPushButton>

namespace Elevate::Ui {

RequestDialog::RequestDialog(const Core::Target &target, const Core::Clock *clock, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<::Ui::RequestDialog>())
    , m_target(target)
    , m_clock(clock)
{
    m_ui->setupUi(this);
    setObjectName(QStringLiteral("requestDialog"));
    const QString title = target.aws ? tr("<b>%1</b> on %2")
                                           .arg(target.aws->roleName.toHtmlEscaped(),
                                                TargetsModel::accountLabel(*target.aws).toHtmlEscaped())
                                     : tr("<b>%1</b>").arg(target.key().toHtmlEscaped());
    m_ui->targetLabel->setText(
        tr("%1<br><small>PIM group %2%3</small>")
            .arg(title, target.eligibility.groupDisplayName.toHtmlEscaped(),
                 target.eligibility.access == Core::AccessKind::Owner ? tr(" (as owner)") : QString()));
    setWindowTitle(target.aws ? tr("Request %1 — Elevate").arg(target.aws->roleName)
                              : tr("Request access — Elevate"));
    m_ui->justificationComboBox->lineEdit()->setPlaceholderText(tr("Why do you need this access?"));
    m_ui->ticketSystemComboBox->lineEdit()->setPlaceholderText(tr("Ticket system"));
    m_ui->justificationComboBox->setCurrentText({});
    m_ui->ticketSystemComboBox->setCurrentText({});
    QPalette p = m_ui->problemsLabel->palette();
    p.setColor(QPalette::WindowText, QColor(0xb0, 0x1c, 0x1c));
    m_ui->problemsLabel->setPalette(p);
    m_ui->problemsLabel->hide();
    m_ui->renewLabel->hide();
    const QDateTime now = m_clock->now().toLocalTime();
    m_ui->startDateTimeEdit->setDateTime(now.addSecs(3600 - now.time().minute() * 60 - now.time().second()));
    connect(m_ui->startAtRadioButton, &QRadioButton::toggled, m_ui->startDateTimeEdit, &QWidget::setEnabled);
    // Until the policy is known, nothing can be sent.
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(false);
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("&Request"));
    connect(m_ui->buttonBox, &QDialogButtonBox::accepted, this, &RequestDialog::accept);
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // Once the user tried to send, re-check as they fix things.
    auto recheck = [this] {
        if (m_triedOnce && m_policy)
            validate();
    };
    connect(m_ui->durationHoursSpinBox, &QSpinBox::valueChanged, this, recheck);
    connect(m_ui->durationMinutesSpinBox, &QSpinBox::valueChanged, this, recheck);
    connect(m_ui->justificationComboBox, &QComboBox::editTextChanged, this, recheck);
    connect(m_ui->ticketSystemComboBox, &QComboBox::editTextChanged, this, recheck);
    connect(m_ui->ticketNumberEdit, &QLineEdit::textChanged, this, recheck);
    connect(m_ui->startAtRadioButton, &QRadioButton::toggled, this, recheck);
    connect(m_ui->startDateTimeEdit, &QDateTimeEdit::dateTimeChanged, this, recheck);
}

RequestDialog::~RequestDialog() = default;

RequestDialog *RequestDialog::open(PimPresenter *pim, const Core::Target &target, int defaultDurationMinutes,
                                   const std::optional<Core::Grant> &renew, QWidget *parent)
{
    auto *dialog = new RequestDialog(target, pim->clock(), parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QStringList justifications, systems;
    if (Core::HistoryStore *history = pim->history()) {
        if (auto recent = history->recentJustifications(); recent.ok())
            justifications = recent.value();
        if (auto recent = history->recentTicketSystems(); recent.ok())
            systems = recent.value();
    }
    dialog->setDefaults(defaultDurationMinutes, justifications, systems);
    Graph::RequestTracker *access = pim->requests();
    if (renew && pim->history()) {
        // Prefill from the request that made this grant.
        const auto open = pim->history()->openEntries();
        if (open.ok())
            for (const auto &e : open.value())
                if (e.groupId == renew->groupId) {
                    Core::ActivationDraft d;
                    d.durationSecs
                        = e.durationSecs > 0 ? e.durationSecs : qint64(defaultDurationMinutes) * 60;
                    d.justification = e.justification;
                    d.ticketSystem = e.ticketSystem;
                    d.ticketNumber = e.ticketNumber;
                    dialog->prefill(d);
                    break;
                }
    }
    access->policy(
        target.eligibility.groupId, target.eligibility.access, dialog,
        [dialog, renew](Core::Result<Core::ActivationPolicy> policy) {
            const bool unreadable = !policy.ok() && Graph::RequestTracker::policyUnreadable(policy.error());
            if (!policy.ok() && !unreadable)
                return dialog->setPolicyError(
                    ErrorText::describe(tr("Reading the group's PIM policy"), policy.error()));
            // PIM will not show this group's policy: the request can still be sent, and PIM
            // judges it on arrival (its refusal is worded then).
            dialog->setPolicy(policy.ok() ? policy.value() : Graph::RequestTracker::unreadablePolicy());
            if (unreadable)
                dialog->m_ui->policyLabel->setText(
                    tr("The group's PIM policy cannot be read (Microsoft Graph answered 403), so "
                       "Elevate checks only what holds for every group; PIM checks the rest "
                       "when the request arrives."));
            if (renew)
                dialog->setRenewal(*renew);
        });
    connect(dialog, &RequestDialog::submitted, dialog,
            [dialog, access, target](const Core::ActivationDraft &draft) {
                auto done = [dialog](Core::Result<Core::AccessRequest> r) {
                    if (r.ok())
                        return dialog->finishWithSuccess();
                    dialog->showError(ErrorText::describe(
                        dialog->isRenewal() ? tr("Renewing") : tr("The request"), r.error()));
                };
                if (dialog->renewal())
                    access->renew(target, *dialog->renewal(), draft, dialog, done);
                else
                    access->request(target, draft, dialog, done);
            });
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
    return dialog;
}

void RequestDialog::setDefaults(int durationMinutes, const QStringList &recentJustifications,
                                const QStringList &recentTicketSystems)
{
    m_ui->durationHoursSpinBox->setValue(durationMinutes / 60);
    m_ui->durationMinutesSpinBox->setValue(durationMinutes % 60);
    m_ui->justificationComboBox->addItems(recentJustifications);
    m_ui->ticketSystemComboBox->addItems(recentTicketSystems);
    m_ui->justificationComboBox->setCurrentText({});
    m_ui->ticketSystemComboBox->setCurrentText(recentTicketSystems.value(0));
}

void RequestDialog::prefill(const Core::ActivationDraft &draft)
{
    m_ui->durationHoursSpinBox->setValue(int(draft.durationSecs / 3600));
    m_ui->durationMinutesSpinBox->setValue(int((draft.durationSecs % 3600) / 60));
    m_ui->justificationComboBox->setCurrentText(draft.justification);
    m_ui->ticketSystemComboBox->setCurrentText(draft.ticketSystem);
    m_ui->ticketNumberEdit->setText(draft.ticketNumber);
}

void RequestDialog::setPolicy(const Core::ActivationPolicy &policy)
{
    m_policy = policy;
    const qint64 max = policy.maximumDurationSecs;
    m_ui->durationHoursSpinBox->setMaximum(int(max / 3600));
    // The configured default may be above what this group allows: start at the maximum then.
    if (qint64(m_ui->durationHoursSpinBox->value()) * 3600 + m_ui->durationMinutesSpinBox->value() * 60
        > max) {
        m_ui->durationHoursSpinBox->setValue(int(max / 3600));
        m_ui->durationMinutesSpinBox->setValue(int((max % 3600) / 60) / 5 * 5);
    }
    m_ui->durationMaxLabel->setText(tr("at most %1").arg(Graph::PimWording::duration(max)));
    QStringList lines;
    if (policy.approvalRequired) {
        lines << (policy.approvers.isEmpty()
                      ? tr("An approver must approve this request before access starts.")
                      : tr("An approver must approve this request before access starts (%1).")
                            .arg(policy.approvers.join(QStringLiteral(", "))));
    } else {
        lines << tr("No approval needed: access starts as soon as PIM grants it.");
    }
    // Said before sending: the browser that opens after pressing Request is Elevate's doing, once.
    if (!policy.authenticationContext.isEmpty())
        lines << tr("This group asks for a stronger sign-in (an authentication context): the browser will "
                    "open once for it when you send the request.");
    else if (policy.mfaRequired)
        lines << tr("This group requires multi-factor authentication: if your sign-in had none, the browser "
                    "will open once for a sign-in with MFA when you send the request.");
    m_ui->policyLabel->setText(lines.join(u' '));
    updateRequiredMarks();
    m_ui->buttonBox->button(QDialogButtonBox::Ok)
        ->setText(policy.approvalRequired ? tr("&Request approval") : tr("&Request"));
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(!m_busy);
}

void RequestDialog::setPolicyError(const QString &message)
{
    m_ui->policyLabel->setText(message);
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(false);
}

void RequestDialog::setRenewal(const Core::Grant &grant)
{
    m_renewal = grant;
    const bool approval = m_policy && m_policy->approvalRequired;
    m_ui->renewLabel->setText(
        tr("PIM cannot extend an activation that is running. Renewing ends the current one (%1 left) "
           "and requests it again with these details.")
            .arg(Graph::PimWording::duration(grant.secondsLeft(m_clock->now())))
        + u' '
        + (approval ? tr("This group needs approval: until an approver acts again, you will have no access.")
                    : tr("This group needs no approval, so the gap is only seconds.")));
    m_ui->renewLabel->show();
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("&Renew"));
}

void RequestDialog::updateRequiredMarks()
{
    const bool j = m_policy && m_policy->justificationRequired;
    const bool t = m_policy && m_policy->ticketRequired;
    m_ui->justificationLabel->setText(j ? tr("&Justification (required):") : tr("&Justification:"));
    m_ui->ticketLabel->setText(t ? tr("&Ticket (required):") : tr("&Ticket:"));
    m_ui->justificationComboBox->lineEdit()->setPlaceholderText(
        j ? tr("Why do you need this access? (required)") : tr("Why do you need this access? (optional)"));
}

Core::ActivationDraft RequestDialog::draft() const
{
    Core::ActivationDraft d;
    d.groupId = m_target.eligibility.groupId;
    d.access = m_target.eligibility.access;
    d.durationSecs
        = qint64(m_ui->durationHoursSpinBox->value()) * 3600 + m_ui->durationMinutesSpinBox->value() * 60;
    d.justification = m_ui->justificationComboBox->currentText().trimmed();
    d.ticketSystem = m_ui->ticketSystemComboBox->currentText().trimmed();
    d.ticketNumber = m_ui->ticketNumberEdit->text().trimmed();
    if (m_ui->startAtRadioButton->isChecked())
        d.start = m_ui->startDateTimeEdit->dateTime().toUTC();
    return d;
}

void RequestDialog::showProblems(const QStringList &lines)
{
    m_ui->problemsLabel->setText(lines.join(u'\n'));
    m_ui->problemsLabel->setVisible(!lines.isEmpty());
}

bool RequestDialog::validate()
{
    if (!m_policy)
        return false;
    const auto problems = Core::validateDraft(draft(), *m_policy, m_clock->now());
    QStringList lines;
    QWidget *first = nullptr;
    for (auto p : problems) {
        lines << Graph::PimWording::describe(p, *m_policy);
        QWidget *field = nullptr;
        switch (p) {
        case Core::DraftProblem::DurationNotPositive:
        case Core::DraftProblem::DurationTooLong:
            field = m_ui->durationHoursSpinBox;
            break;
        case Core::DraftProblem::JustificationMissing:
            field = m_ui->justificationComboBox;
            break;
        case Core::DraftProblem::TicketNumberMissing:
            field = m_ui->ticketNumberEdit;
            break;
        case Core::DraftProblem::TicketSystemMissing:
            field = m_ui->ticketSystemComboBox;
            break;
        case Core::DraftProblem::StartInPast:
            field = m_ui->startDateTimeEdit;
            break;
        }
        if (!first)
            first = field;
    }
    showProblems(lines);
    if (first && !first->hasFocus() && !m_triedOnce)
        first->setFocus(Qt::OtherFocusReason);
    return problems.isEmpty();
}

void RequestDialog::accept()
{
    if (m_busy || !m_policy)
        return;
    const bool ok = validate();
    m_triedOnce = true;
    if (!ok)
        return;
    setBusy(true);
    Q_EMIT submitted(draft());
}

void RequestDialog::setBusy(bool busy)
{
    m_busy = busy;
    for (QWidget *w :
         {static_cast<QWidget *>(m_ui->durationHoursSpinBox),
          static_cast<QWidget *>(m_ui->durationMinutesSpinBox),
          static_cast<QWidget *>(m_ui->justificationComboBox),
          static_cast<QWidget *>(m_ui->ticketSystemComboBox), static_cast<QWidget *>(m_ui->ticketNumberEdit),
          static_cast<QWidget *>(m_ui->startNowRadioButton),
          static_cast<QWidget *>(m_ui->startAtRadioButton)})
        w->setEnabled(!busy);
    m_ui->startDateTimeEdit->setEnabled(!busy && m_ui->startAtRadioButton->isChecked());
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(!busy && m_policy.has_value());
    QPushButton *ok = m_ui->buttonBox->button(QDialogButtonBox::Ok);
    if (busy) {
        m_okText = ok->text();
        ok->setText(m_renewal ? tr("Renewing…") : tr("Sending…"));
        showProblems({});
    } else if (!m_okText.isEmpty()) {
        ok->setText(std::exchange(m_okText, {}));
    }
    setCursor(busy ? Qt::BusyCursor : Qt::ArrowCursor);
}

void RequestDialog::showError(const QString &message)
{
    setBusy(false);
    showProblems({message});
}

void RequestDialog::finishWithSuccess()
{
    setBusy(false);
    QDialog::accept();
}

} // namespace Elevate::Ui
