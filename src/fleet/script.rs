//! The PowerShell node collector a fleet collector pod runs: the same record commands as the
//! local collector (`sources::node::live::commands()`), the process list with command lines, and
//! the node files and log tails the checks read (the fixed paths of checks/data/node-paths.toml
//! plus the paths the components' command lines, services and configuration name), printed as a
//! framed payload (gzip, base64 in 76-character lines, an end line with the byte count so that a
//! cut pod log is detected). windoctor replays it through its own collector (`payload`), so a node
//! collected by the fleet gives the same node part as windoctor run on the node.
//!
//! Written for the host's Windows PowerShell 5.1 (a HostProcess container runs the host's
//! `powershell.exe`): no `&&`, `||`, ternaries or `??`; every file is read by its own path, so no
//! volume mount (and no `$env:CONTAINER_SANDBOX_MOUNT_POINT`) is involved. tests/fleet_script.rs
//! parses it with tree-sitter-powershell.

use crate::facts::node::cmdline::powershell_literal as quote;
use crate::sources::node::live::commands;
use base64::Engine;

/// Bytes of each log tail the collector returns.
pub const LOG_TAIL_BYTES: u64 = 128 * 1024;
/// Largest other file returned.
pub const MAX_FILE_BYTES: u64 = 512 * 1024;
/// Raw bytes of files over all: past it, files are recorded as not read (the payload must stay
/// well below the kubelet's container log rotation size, 10 MiB by default).
pub const FILE_BUDGET_BYTES: u64 = 3 * 1024 * 1024;

/// Names of processes the collector lists (as the local collector's `is_relevant_name`).
const PROCESS_NAMES: &str =
    "kube|flannel|containerd|docker|nssm|calico|felix|antrea|csi|rke2|wins|hns";

/// The record commands' script text by id (the text inside `-Command`, without the error
/// preference the local runner adds).
pub fn record_scripts() -> Vec<(String, String)> {
    commands()
        .into_iter()
        .map(|c| {
            let text = c.args.last().cloned().unwrap_or_default();
            let text = text
                .strip_prefix(
                    "$ErrorActionPreference='Stop'; $ProgressPreference='SilentlyContinue'; ",
                )
                .map(str::to_string)
                .unwrap_or(text);
            (c.id, text)
        })
        .collect()
}

fn quoted_list(items: &[String]) -> String {
    format!(
        "@({})",
        items
            .iter()
            .map(|s| quote(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The whole collector script.
pub fn collector_script() -> String {
    let paths = crate::catalogue::data::node_paths();
    let files: Vec<String> = paths.files.values().cloned().collect();
    let kubeconfigs: Vec<String> = paths.kubeconfigs.values().cloned().collect();
    let mut commands_block = String::new();
    for (id, text) in record_scripts() {
        // A single-quoted here-string: its end mark must start a line, and nothing in it expands.
        commands_block.push_str(&format!(
            "  @{{ id = {}; script = @'\n{}\n'@ }}\n",
            quote(&id),
            text
        ));
    }
    format!(
        r#"$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
$tailBytes = {tail}
$maxFile = {max_file}
$budget = {budget}
$r = [ordered]@{{ format = 'windoctor-fleet-raw/1'; hostname = $env:COMPUTERNAME; collected_at = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'); outputs = @{{}}; errors = @{{}}; files = @{{}}; unreadable = @{{}}; processes = @() }}
$commands = @(
{commands_block})
foreach ($c in $commands) {{
  try {{
    $ErrorActionPreference = 'Stop'
    $r.outputs[$c.id] = (& ([scriptblock]::Create($c.script)) | Out-String)
  }} catch {{
    $r.errors[$c.id] = $_.Exception.Message
  }} finally {{
    $ErrorActionPreference = 'Continue'
  }}
}}
try {{
  $r.processes = @(Get-CimInstance Win32_Process | Where-Object {{ $_.Name -match '{names}' }} | ForEach-Object {{ [pscustomobject]@{{ name = $_.Name; pid = $_.ProcessId; command_line = $_.CommandLine }} }})
}} catch {{
  $r.errors['processes'] = $_.Exception.Message
}}
$script:spent = 0
function Add-File([string]$path, [bool]$tail) {{
  if (-not $path) {{ return }}
  if ($r.files.Contains($path) -or $r.unreadable.Contains($path)) {{ return }}
  if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {{ return }}
  try {{
    $fs = [System.IO.File]::Open($path, 'Open', 'Read', 'ReadWrite')
    try {{
      $len = $fs.Length
      $limit = $maxFile
      if ($tail) {{ $limit = $tailBytes }}
      if ($len -gt $limit) {{
        if (-not $tail) {{
          $r.unreadable[$path] = "$len bytes, larger than the $limit bytes windoctor reads"
          return
        }}
        [void]$fs.Seek($len - $limit, 'Begin')
        $len = $limit
      }}
      if ($script:spent + $len -gt $budget) {{
        $r.unreadable[$path] = 'not read: the collector output budget was spent'
        return
      }}
      $buf = New-Object byte[] $len
      $read = 0
      while ($read -lt $len) {{
        $n = $fs.Read($buf, $read, $len - $read)
        if ($n -le 0) {{ break }}
        $read += $n
      }}
      $script:spent += $read
      $r.files[$path] = [Convert]::ToBase64String($buf, 0, $read)
    }} finally {{
      $fs.Close()
    }}
  }} catch {{
    $r.unreadable[$path] = $_.Exception.Message
  }}
}}
function Add-Dir([string]$dir, [string[]]$suffixes, [int]$limit, [bool]$logs) {{
  if (-not $dir) {{ return }}
  if (-not (Test-Path -LiteralPath $dir -PathType Container)) {{ return }}
  $items = @(Get-ChildItem -LiteralPath $dir -File -ErrorAction SilentlyContinue | Where-Object {{
    $n = $_.Name.ToLower()
    $hit = $false
    foreach ($s in $suffixes) {{ if ($n.EndsWith($s)) {{ $hit = $true }} }}
    if ($logs -and $n.Contains('.log.')) {{ $hit = $true }}
    $hit
  }})
  if ($logs) {{ $items = @($items | Sort-Object LastWriteTime -Descending) }} else {{ $items = @($items | Sort-Object Name) }}
  foreach ($i in @($items | Select-Object -First $limit)) {{ Add-File $i.FullName $logs }}
}}
function Add-Server([string]$path) {{
  if (-not $path) {{ return }}
  if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {{ return }}
  $line = Select-String -LiteralPath $path -Pattern '^\s*server:' -ErrorAction SilentlyContinue | Select-Object -First 1
  if ($line) {{ $r.files[$path] = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($line.Line.Trim())) }}
}}
$cniSuffixes = @('.conf', '.conflist', '.json')
foreach ($f in {files}) {{ Add-File $f $false }}
foreach ($d in {cni_dirs}) {{ Add-Dir $d $cniSuffixes 32 $false }}
foreach ($d in {log_dirs}) {{ Add-Dir $d @('.log') 6 $true }}
foreach ($k in {kubeconfigs}) {{ Add-Server $k }}
$lines = @($r.processes | ForEach-Object {{ $_.command_line }})
try {{
  foreach ($s in @($r.outputs['services'] | ConvertFrom-Json)) {{
    $lines += $s.PathName
    if ($s.nssm) {{
      $lines += ('"' + $s.nssm.Application + '" ' + $s.nssm.AppParameters)
      foreach ($p in @($s.nssm.AppStdout, $s.nssm.AppStderr)) {{ Add-File $p $true }}
    }}
  }}
}} catch {{ }}
$flagsEnv = {flags_env}
if (Test-Path -LiteralPath $flagsEnv -PathType Leaf) {{ $lines += (Get-Content -Raw -LiteralPath $flagsEnv) }}
foreach ($l in $lines) {{
  if (-not $l) {{ continue }}
  foreach ($m in [regex]::Matches($l, '(?i)--(config|cni-conf-dir|log-dir|kubeconfig)[= ]+"?([^" ]+)')) {{
    $v = $m.Groups[2].Value.Trim("'")
    switch ($m.Groups[1].Value.ToLower()) {{
      'config' {{ Add-File $v $false }}
      'cni-conf-dir' {{ Add-Dir $v $cniSuffixes 32 $false }}
      'log-dir' {{ Add-Dir $v @('.log') 6 $true }}
      'kubeconfig' {{ Add-Server $v }}
    }}
  }}
  foreach ($m in [regex]::Matches($l, '(?i)[a-z]:\\[^"'' ]+\.ps1')) {{ Add-File $m.Value $false }}
}}
foreach ($p in @($r.files.Keys)) {{
  if ($p.ToLower().EndsWith('.toml')) {{
    $text = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($r.files[$p]))
    foreach ($m in [regex]::Matches($text, 'conf_dir\s*=\s*"([^"]+)"')) {{ Add-Dir ($m.Groups[1].Value -replace '/', '\') $cniSuffixes 32 $false }}
  }}
}}
$json = $r | ConvertTo-Json -Depth 6 -Compress
$bytes = [Text.Encoding]::UTF8.GetBytes($json)
$ms = New-Object System.IO.MemoryStream
$gz = New-Object System.IO.Compression.GZipStream($ms, [System.IO.Compression.CompressionMode]::Compress)
$gz.Write($bytes, 0, $bytes.Length)
$gz.Close()
$packed = $ms.ToArray()
$b64 = [Convert]::ToBase64String($packed)
[Console]::Out.WriteLine('{header} raw')
for ($i = 0; $i -lt $b64.Length; $i += 76) {{ [Console]::Out.WriteLine($b64.Substring($i, [Math]::Min(76, $b64.Length - $i))) }}
[Console]::Out.WriteLine('{footer} bytes=' + $packed.Length)
"#,
        tail = LOG_TAIL_BYTES,
        max_file = MAX_FILE_BYTES,
        budget = FILE_BUDGET_BYTES,
        commands_block = commands_block,
        names = PROCESS_NAMES,
        files = quoted_list(&files),
        cni_dirs = quoted_list(&paths.cni_dirs),
        log_dirs = quoted_list(&paths.log_dirs),
        kubeconfigs = quoted_list(&kubeconfigs),
        flags_env = quote(crate::catalogue::data::node_file("kubeadm_flags_env")),
        header = super::payload::HEADER,
        footer = super::payload::FOOTER,
    )
}

/// The script that runs windoctor.exe from the collector image (`--collector-image`): its node
/// collection printed as a payload. The image's files are under `$env:CONTAINER_SANDBOX_MOUNT_POINT`
/// on containerd 1.6 and 1.7 alike (KEP-1981's compatibility note).
pub fn image_script(node: &str) -> String {
    format!(
        "$exe = Join-Path $env:CONTAINER_SANDBOX_MOUNT_POINT 'windoctor.exe'\n& $exe node-payload --node {}\nexit $LASTEXITCODE\n",
        quote(node)
    )
}

/// The arguments of `powershell.exe` that run `script`: `-EncodedCommand` takes base64 of the
/// UTF-16LE text, so no quoting survives into the command line (about_PowerShell_exe).
pub fn powershell_args(script: &str) -> Vec<String> {
    let utf16: Vec<u8> = script
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(utf16);
    [
        "-NoLogo",
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-EncodedCommand",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(std::iter::once(encoded))
    .collect()
}

/// The host's Windows PowerShell, by absolute path (independent of the run-as user's PATH).
pub const POWERSHELL: &str = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_embeds_every_record_command_and_fits_a_command_line() {
        let script = collector_script();
        for (id, text) in record_scripts() {
            assert!(script.contains(&format!("id = '{id}'")), "{id}");
            assert!(script.contains(text.lines().next().unwrap_or("")), "{id}");
            assert!(
                !text.lines().any(|l| l.starts_with("'@")),
                "{id} would end the here-string"
            );
        }
        // CreateProcess limits a command line to 32,767 characters.
        let line: usize = powershell_args(&script)
            .iter()
            .map(|a| a.len() + 1)
            .sum::<usize>()
            + POWERSHELL.len();
        assert!(line < 32_767, "command line of {line} characters");
    }
}
