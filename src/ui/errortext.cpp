// SPDX-License-Identifier: GPL-3.0-or-later
#include "errortext.h"

#include "graph/pimwording.h"

namespace Elevate::Ui {

using Core::Error;

QString ErrorText::describe(const QString &operation, const Error &error)
{
    if (error.kind == Error::Kind::None)
        return {};
    if (const QString pim = Graph::PimWording::describe(error); !pim.isEmpty())
        return tr("%1 failed: %2").arg(operation, pim);
    if (const QString refused = Graph::ServiceWording::describe(error); !refused.isEmpty())
        return tr("%1 failed: %2").arg(operation, refused);
    const QString service = Graph::ServiceWording::name(error.source);
    QString what;
    switch (error.kind) {
    case Error::Kind::None:
        return {};
    case Error::Kind::Network:
        what = tr("the service cannot be reached (%1).").arg(error.message);
        break;
    case Error::Kind::Timeout:
        what = tr("the service did not answer in time. Check your connection and try again.");
        break;
    case Error::Kind::Http:
        what = service.isEmpty() ? tr("the service answered with HTTP status %1.").arg(error.httpStatus)
                                 : tr("%1 answered with HTTP status %2.").arg(service).arg(error.httpStatus);
        break;
    case Error::Kind::Service:
        what = error.serviceCode.isEmpty() ? error.message
                                           : tr("%1 (%2)").arg(error.message, error.serviceCode);
        break;
    case Error::Kind::InteractionRequired:
        what = service.isEmpty()
            ? tr("you need to sign in again (%1).")
                  .arg(error.serviceCode.isEmpty() ? error.message : error.serviceCode)
            : tr("you need to sign in to %1 again (%2).")
                  .arg(service, error.serviceCode.isEmpty() ? error.message : error.serviceCode);
        break;
    case Error::Kind::NotSignedIn:
        what = tr("you are not signed in.");
        break;
    case Error::Kind::Parse:
        what = service.isEmpty()
            ? tr("the service sent an answer Elevate cannot read (%1).").arg(error.message)
            : tr("%1 sent an answer Elevate cannot read (%2).").arg(service, error.message);
        break;
    case Error::Kind::Keychain:
        what = error.message;
        break;
    case Error::Kind::Config:
        what = tr("the configuration is invalid: %1").arg(error.message);
        break;
    case Error::Kind::InvalidInput:
        what = error.message;
        break;
    case Error::Kind::Cancelled:
        what = tr("it was cancelled or timed out.");
        break;
    case Error::Kind::Security:
        what = tr("a security check failed (%1).").arg(error.message);
        break;
    case Error::Kind::Internal:
        what = tr("an internal error occurred (%1).").arg(error.message);
        break;
    }
    return tr("%1 failed: %2").arg(operation, what);
}

} // namespace Elevate::Ui
