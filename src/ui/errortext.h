// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/error.h"

#include <QCoreApplication>
#include <QString>

namespace Elevate::Ui {

/// Turns an Error into one translated sentence for people; the only place that words errors.
class ErrorText
{
    Q_DECLARE_TR_FUNCTIONS(Elevate::Ui::ErrorText)
public:
    /// `operation` is already translated ("sign-in", "refresh").
    static QString describe(const QString &operation, const Core::Error &error);
};

} // namespace Elevate::Ui
