// SPDX-License-Identifier: GPL-3.0-or-later
// Replaced by the real sources of the aws layer.
namespace Elevate::Aws {
int placeholder() { return 0; }
}
