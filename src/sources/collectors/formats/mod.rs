//! Parsers for what collectors write instead of JSON: the text views of Windows PowerShell 5.1
//! (`Format-Table`, `Format-List`, a table followed by `ConvertTo-Json` text), the outputs of
//! `sc.exe queryex`, `ipconfig /all`, `hnsdiag list`, `systeminfo` and `Get-Process`, CSV event
//! exports (`Export-Csv` with its `#TYPE` line), and the `<nodename> ` line prefix of
//! `oc adm node-logs`. Each turns decoded text (see `sources::text::decode`) into the JSON shapes of
//! the bundle's node records, or says why it could not.

pub mod events;
pub mod tables;
pub mod text;
pub mod windows;
