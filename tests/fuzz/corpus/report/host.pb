

agent-host¾áÑä¢4"7.1.0.42*²

ENG-WS-014plant.localWindows 10 Enterprise"
10.0.19044*	Dell Inc.2OptiPlex 7090:
5CD1234XYZB'
eth0AA-BB-CC-00-00-0110.10.0.5/24B%
eth1aa:bb:cc:00:00:02
fe80::1/6424
Kaspersky Endpoint Security
12.3.0.493 (À„öâ¢4