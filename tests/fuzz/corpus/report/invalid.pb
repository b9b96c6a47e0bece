
	agent-bad«·—‰¢4"7.1.0.42*[
Xplant.localLinux"6.1*	Dell Inc.2OptiPlex 7090:
5CD1234XYZB
eth0zz:1110.0.0.1