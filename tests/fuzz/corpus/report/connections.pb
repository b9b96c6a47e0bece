
agent-connsƒ·—‰¢4"7.1.0.42*p
PLC-GWplant.localLinux"6.1*	Dell Inc.2OptiPlex 7090:
5CD1234XYZB'
eth0aa:bb:cc:00:00:10192.168.1.10BUÄÄ"192.168.1.20(ˆ2aa:bb:cc:00:00:208@ËH–P†çX¿ö`ÊåŒ‰¢4hﬁŸ—‰¢4rsvchost.exeB:°"192.168.1.308@
HPËX–`ÊåŒ‰¢4hﬁŸ—‰¢4rsvchost.exeB8ÄÄ"2001:db8::58@HPdXd`ÊåŒ‰¢4hﬁŸ—‰¢4rsvchost.exe