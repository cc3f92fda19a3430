// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Raw HTTP against an in-process loopback listener (tests of the sign-in listener and the console
// hand-off): the bytes go out exactly as given, from another thread, while this thread's event loop
// serves the listener.

#include <QCoreApplication>
#include <QHostAddress>
#include <QTcpSocket>

#include <chrono>
#include <future>

namespace Elevate::Test {

/// Runs this thread's event loop until `future` is ready, then returns its value.
template<typename T> T getProcessingEvents(std::future<T> &future)
{
    while (future.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    return future.get();
}

/// Sends `request` to host:port and returns the whole answer (the listener closes the connection),
/// or "NO CONNECTION".
inline QByteArray rawExchange(quint16 port, const QByteArray &request,
                              const QHostAddress &host = QHostAddress(QHostAddress::LocalHost))
{
    auto future = std::async(std::launch::async, [port, request, host] {
        QTcpSocket s;
        s.connectToHost(host, port);
        if (!s.waitForConnected(2000))
            return QByteArray("NO CONNECTION");
        s.write(request);
        s.waitForBytesWritten(2000);
        QByteArray answer;
        while (s.state() == QAbstractSocket::ConnectedState && s.waitForReadyRead(15'000))
            answer += s.readAll();
        answer += s.readAll();
        return answer;
    });
    return getProcessingEvents(future);
}

} // namespace Elevate::Test
