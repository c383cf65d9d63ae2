/*
 * Intel ACPI Component Architecture
 *
 *
 * ACPI Data Table [APIC]
 *
 * Format: [HexOffset DecimalOffset ByteLength]  FieldName : FieldValue
 */

[000h 0000   4]                    Signature : "APIC"    [Multiple APIC Description Table (MADT)]
[004h 0004   4]                 Table Length : 000000A4
[008h 0008   1]                     Revision : 05
[009h 0009   1]                     Checksum : 03
[00Ah 0010   6]                       Oem ID : "MVRRAS"
[010h 0016   8]                 Oem Table ID : "MICROVM "
[018h 0024   4]                 Oem Revision : 00000001
[01Ch 0028   4]              Asl Compiler ID : "MVRR"
[020h 0032   4]        Asl Compiler Revision : 00000001

[024h 0036   4]           Local Apic Address : 00000000
[028h 0040   4]        Flags (decoded below) : 00000000
                         PC-AT Compatibility : 0

[02Ch 0044   1]                Subtable Type : 0B [Generic Interrupt Controller]
[02Dh 0045   1]                       Length : 50
[02Eh 0046   2]                     Reserved : 0000
[030h 0048   4]         CPU Interface Number : 00000000
[034h 0052   4]                Processor UID : 00000000
[038h 0056   4]        Flags (decoded below) : 00000001
                           Processor Enabled : 1
          Performance Interrupt Trigger Mode : 0
          Virtual GIC Interrupt Trigger Mode : 0
[03Ch 0060   4]     Parking Protocol Version : 00000000
[040h 0064   4]        Performance Interrupt : 00000000
[044h 0068   8]               Parked Address : 0000000000000000
[04Ch 0076   8]                 Base Address : 0000000000000000
[054h 0084   8]     Virtual GIC Base Address : 0000000000000000
[05Ch 0092   8]  Hypervisor GIC Base Address : 0000000000000000
[064h 0100   4]        Virtual GIC Interrupt : 00000019
[068h 0104   8]   Redistributor Base Address : 0000000000000000
[070h 0112   8]                    ARM MPIDR : 0000000000000000
[078h 0120   1]             Efficiency Class : 00
[079h 0121   1]                     Reserved : 00
[07Ah 0122   2]       SPE Overflow Interrupt : 0000

[07Ch 0124   1]                Subtable Type : 0C [Generic Interrupt Distributor]
[07Dh 0125   1]                       Length : 18
[07Eh 0126   2]                     Reserved : 0000
[080h 0128   4]        Local GIC Hardware ID : 00000000
[084h 0132   8]                 Base Address : 0000000008000000
[08Ch 0140   4]               Interrupt Base : 00000000
[090h 0144   1]                      Version : 03
[091h 0145   3]                     Reserved : 000000

[094h 0148   1]                Subtable Type : 0E [Generic Interrupt Redistributor]
[095h 0149   1]                       Length : 10
[096h 0150   2]                     Reserved : 0000
[098h 0152   8]                 Base Address : 00000000080A0000
[0A0h 0160   4]                       Length : 00020000

Raw Table Data: Length 164 (0xA4)

    0000: 41 50 49 43 A4 00 00 00 05 03 4D 56 52 52 41 53  // APIC......MVRRAS
    0010: 4D 49 43 52 4F 56 4D 20 01 00 00 00 4D 56 52 52  // MICROVM ....MVRR
    0020: 01 00 00 00 00 00 00 00 00 00 00 00 0B 50 00 00  // .............P..
    0030: 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00  // ................
    0040: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  // ................
    0050: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  // ................
    0060: 00 00 00 00 19 00 00 00 00 00 00 00 00 00 00 00  // ................
    0070: 00 00 00 00 00 00 00 00 00 00 00 00 0C 18 00 00  // ................
    0080: 00 00 00 00 00 00 00 08 00 00 00 00 00 00 00 00  // ................
    0090: 03 00 00 00 0E 10 00 00 00 00 0A 08 00 00 00 00  // ................
    00A0: 00 00 02 00                                      // ....
