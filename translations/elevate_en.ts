<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
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
        <source>Elevate — %1
%n eligible target(s)</source>
        <translation>
            <numerusform>Elevate — %1
%n eligible target</numerusform>
            <numerusform>Elevate — %1
%n eligible targets</numerusform>
        </translation>
    </message>
</context>
</TS>
