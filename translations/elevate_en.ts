<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>Elevate::Ui::ApprovalsWindow</name>
    <message numerus="yes">
        <source>%n request(s) waiting for you</source>
        <translation>
            <numerusform>%n request waiting for you</numerusform>
            <numerusform>%n requests waiting for you</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&amp;Approve %n</source>
        <translation>
            <numerusform>&amp;Approve %n</numerusform>
            <numerusform>&amp;Approve %n</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&amp;Deny %n</source>
        <translation>
            <numerusform>&amp;Deny %n</numerusform>
            <numerusform>&amp;Deny %n</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Elevate::Ui::AwsPresenter</name>
    <message numerus="yes">
        <source>AWS has not picked up %1 after %n minute(s), although your organisation&apos;s bridge normally pushes a role within about %2 min. The bridge may be down or behind: ask whoever runs it to check it, or your administrator to check the provisioning job (or to provision on demand).</source>
        <translation>
            <numerusform>AWS has not picked up %1 after %n minute, although your organisation&apos;s bridge normally pushes a role within about %2 min. The bridge may be down or behind: ask whoever runs it to check it, or your administrator to check the provisioning job (or to provision on demand).</numerusform>
            <numerusform>AWS has not picked up %1 after %n minutes, although your organisation&apos;s bridge normally pushes a role within about %2 min. The bridge may be down or behind: ask whoever runs it to check it, or your administrator to check the provisioning job (or to provision on demand).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>AWS has not picked up %1 after %n minute(s). Entra&apos;s provisioning normally runs about every %2 minutes; if it does not arrive, ask your administrator to check the provisioning job (or to provision on demand).</source>
        <translation>
            <numerusform>AWS has not picked up %1 after %n minute. Entra&apos;s provisioning normally runs about every %2 minutes; if it does not arrive, ask your administrator to check the provisioning job (or to provision on demand).</numerusform>
            <numerusform>AWS has not picked up %1 after %n minutes. Entra&apos;s provisioning normally runs about every %2 minutes; if it does not arrive, ask your administrator to check the provisioning job (or to provision on demand).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Elevate::Ui::HistoryWindow</name>
    <message numerus="yes">
        <source>%n request(s) on record</source>
        <translation>
            <numerusform>%n request on record</numerusform>
            <numerusform>%n requests on record</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Elevate::Ui::MainWindow</name>
    <message numerus="yes">
        <source>%n eligible target(s) · updated %1</source>
        <translation>
            <numerusform>%n eligible target · updated %1</numerusform>
            <numerusform>%n eligible targets · updated %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Elevate::Ui::TrayController</name>
    <message numerus="yes">
        <source>%n eligible target(s), nothing active</source>
        <translation>
            <numerusform>%n eligible target, nothing active</numerusform>
            <numerusform>%n eligible targets, nothing active</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>and %n more active</source>
        <translation>
            <numerusform>and %n more active</numerusform>
            <numerusform>and %n more active</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n request(s) waiting</source>
        <translation>
            <numerusform>%n request waiting</numerusform>
            <numerusform>%n requests waiting</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n request(s) waiting for your approval</source>
        <translation>
            <numerusform>%n request waiting for your approval</numerusform>
            <numerusform>%n requests waiting for your approval</numerusform>
        </translation>
    </message>
</context>
</TS>
