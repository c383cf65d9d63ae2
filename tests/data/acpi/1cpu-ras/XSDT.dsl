/*
 * Intel ACPI Component Architecture
 *
 *
 * ACPI Data Table [XSDT]
 *
 * Format: [HexOffset DecimalOffset ByteLength]  FieldName : FieldValue
 */

[000h 0000   4]                    Signature : "XSDT"    [Extended System Description Table]
[004h 0004   4]                 Table Length : 00000054
[008h 0008   1]                     Revision : 01
[009h 0009   1]                     Checksum : FD
[00Ah 0010   6]                       Oem ID : "MVRRAS"
[010h 0016   8]                 Oem Table ID : "MICROVM "
[018h 0024   4]                 Oem Revision : 00000001
[01Ch 0028   4]              Asl Compiler ID : "MVRR"
[020h 0032   4]        Asl Compiler Revision : 00000001

[024h 0036   8]       ACPI Table Address   0 : 000000005C4811B8
[02Ch 0044   8]       ACPI Table Address   1 : 000000005C4812D0
[034h 0052   8]       ACPI Table Address   2 : 000000005C481378
[03Ch 0060   8]       ACPI Table Address   3 : 000000005C4813D8
[044h 0068   8]       ACPI Table Address   4 : 000000005C481428
[04Ch 0076   8]       ACPI Table Address   5 : 000000005C4815C0

Raw Table Data: Length 84 (0x54)

    0000: 58 53 44 54 54 00 00 00 01 FD 4D 56 52 52 41 53  // XSDTT.....MVRRAS
    0010: 4D 49 43 52 4F 56 4D 20 01 00 00 00 4D 56 52 52  // MICROVM ....MVRR
    0020: 01 00 00 00 B8 11 48 5C 00 00 00 00 D0 12 48 5C  // ......H\......H\
    0030: 00 00 00 00 78 13 48 5C 00 00 00 00 D8 13 48 5C  // ....x.H\......H\
    0040: 00 00 00 00 28 14 48 5C 00 00 00 00 C0 15 48 5C  // ....(.H\......H\
    0050: 00 00 00 00                                      // ....
