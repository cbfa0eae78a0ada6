// IIS configuration tampering. The path checks (native modules, virtual directory targets) are
// `file:` rules with a `content:` block (config-tampering.yml); this file holds the content
// signatures. Both apply to the live IIS configuration (inetsrv\config, the .NET Framework
// config folder) and to web.config files in served folders, not to any file with that name.

rule Web_Config_Handler_Runs_Shell
{
    meta:
        id = "EXH-FY-040"
        title = "IIS handler mapped to a command interpreter"
        description = "A web.config or applicationHost.config maps requests to cmd.exe, powershell.exe, rundll32 or a script in a staging folder (scriptProcessor=...). IIS then runs the interpreter for every request of that path: a configuration-only backdoor."
        severity = "high"
        stage = "backdoor"
        tags = "IIS,configuration,persistence"
        attack = "T1505.004,T1505.003"
        reference = "https://www.microsoft.com/en-us/security/blog/2022/07/26/malicious-iis-extensions-quietly-open-persistent-backdoors-into-servers/"
        remediation = "Compare the configuration with a clean server; remove the handler; find who changed the file (its times, IIS and process logs); treat the server as compromised."
    strings:
        $h = /scriptProcessor\s*=\s*"[^"]{0,200}(cmd\.exe|powershell|pwsh|rundll32|mshta|\\programdata\\|\\users\\public\\|\\windows\\temp\\|\\perflogs\\)/ nocase
    condition:
        // The live IIS configuration and the web.config files of served folders only: copies of
        // configuration kept elsewhere (test data, backups, documentation) run nothing.
        (
            (filename == "applicationhost.config" and exhunt_area == "iis-config") or
            (filename == "web.config" and (exhunt_area == "web" or exhunt_area == "exchange-web" or exhunt_area == "iis-config"))
        ) and $h
}
