
agent-events¡·—‰¢4"7.1.0.42:¥
ev-1¬·—‰¢4"network_attack*Kaspersky Endpoint Security:Attack blocked
BC:\Windows\Temp\payload.exeJHEUR:Trojan.Win32.GenericRPLANT\operatorZ
rule_id4711Z
port502:ë
ev-2√·—‰¢4*Kaspersky Endpoint Security:no category: the generic typeBC:\Windows\Temp\payload.exeJHEUR:Trojan.Win32.GenericRPLANT\operator:è
ev-3ƒ·—‰¢4"untrusted_device*Kaspersky Endpoint Security:	USB stickBC:\Windows\Temp\payload.exeJHEUR:Trojan.Win32.GenericRPLANT\operator