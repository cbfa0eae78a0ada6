// Ransomware seen on exploited Exchange servers in March 2021 (DearCry, Black Kingdom).

rule DearCry_Encrypted_File
{
    meta:
        id = "EXH-FY-030"
        title = "File encrypted by DearCry (DoejoCrypt) ransomware"
        description = "DearCry, deployed through ProxyLogon in March 2021, writes the marker 'DEARCRY!' at the start of every file it encrypts and appends the .CRYPT extension."
        severity = "critical"
        stage = "ransomware"
        cves = "CVE-2021-26855,CVE-2021-27065"
        tags = "DearCry,DoejoCrypt,ProxyLogon,ransomware"
        attack = "T1486"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/03/25/analyzing-attacks-taking-advantage-of-the-exchange-server-vulnerabilities/"
        reference = "https://news.sophos.com/en-us/2021/03/15/dearcry-ransomware-attacks-exchange-users/"
        remediation = "Isolate the server; do not pay before consulting incident responders; restore from offline backups after rebuilding; the intruder came in through Exchange: find and close the web shell first."
    condition:
        uint32(0) == 0x52414544 and uint32(4) == 0x21595243
}

rule Black_Kingdom_Ransom_Note
{
    meta:
        id = "EXH-FY-031"
        title = "Black Kingdom (Pydomer) ransom note"
        description = "A ransom note of Black Kingdom, deployed through ProxyLogon web shells in March 2021 (decrypt_file.TxT / ReadMe.txt naming the group and asking for bitcoin)."
        severity = "critical"
        stage = "ransomware"
        cves = "CVE-2021-26855,CVE-2021-27065"
        tags = "Black Kingdom,Pydomer,ProxyLogon,ransomware"
        attack = "T1486"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/03/25/analyzing-attacks-taking-advantage-of-the-exchange-server-vulnerabilities/"
        reference = "https://news.sophos.com/en-us/2021/03/23/black-kingdom/"
        remediation = "Isolate the server; restore from offline backups after rebuilding; find and close the web shell the ransomware came through."
    strings:
        $bk = "black kingdom" nocase
        $btc = "bitcoin" nocase
        $enc = "encrypted" nocase
    condition:
        filesize < 64KB and $bk and ($btc or $enc)
}
