//! Following a source by scanning it, where the file system sends no events for changes
//! made by other machines: a share of the office's file server (CIFS/SMB), NFS, WSL's
//! Windows drives, a container's folder of its host. Chosen by [`network_fs`] from the
//! mount table, or forced with `watch_poll_s`.
//!
//! Each scan lists the relevant files (their size and modification time, to the file
//! system's precision; links followed, as the loader does) and, when anything
//! appeared, went or changed, lists again each [`SETTLED`] until two listings agree (a
//! copy over the network still under way is not read part-done), then says so. Not
//! `notify`'s `PollWatcher`: it compares modification times in whole seconds, newer
//! only, so a file saved twice within a second after a scan is never seen changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::UnboundedSender;

/// How often a source on a network file system is scanned (`watch_poll_s = 0`).
pub const POLL_DEFAULT: Duration = Duration::from_secs(10);

/// How long a changed listing must stay the same before the change is read.
pub const SETTLED: Duration = Duration::from_secs(1);

/// Whether a file, by its name, is one a change of which is to be read.
pub type Relevant = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The scans of a source, stopped when dropped.
pub struct Scans(tokio::task::AbortHandle);

impl Drop for Scans {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A file as a scan sees it: size and modification time.
type Seen = BTreeMap<PathBuf, (u64, Option<SystemTime>)>;

impl Scans {
    /// Scans `dir` (and the folders below when `recursive`) every `every`, sending on
    /// `tx` when a relevant file appeared, went or changed since the scan before.
    pub fn start(
        dir: PathBuf,
        recursive: bool,
        relevant: Relevant,
        every: Duration,
        tx: UnboundedSender<()>,
    ) -> Scans {
        // The first listing before this returns: a save made just after is a change.
        let mut last = listing(&dir, recursive, &*relevant);
        let task = tokio::spawn(async move {
            let list = || {
                let (d, r) = (dir.clone(), Arc::clone(&relevant));
                async move {
                    tokio::task::spawn_blocking(move || listing(&d, recursive, &*r))
                        .await
                        .ok()
                }
            };
            loop {
                tokio::time::sleep(every).await;
                let Some(mut now) = list().await else {
                    continue;
                };
                if now == last {
                    continue;
                }
                // Changed: wait until it stays as it is.
                loop {
                    tokio::time::sleep(SETTLED).await;
                    let Some(again) = list().await else { break };
                    let settled = again == now;
                    now = again;
                    if settled {
                        break;
                    }
                }
                last = now;
                if tx.send(()).is_err() {
                    return;
                }
            }
        });
        Scans(task.abort_handle())
    }
}

/// The relevant files under `dir` (by their names; every folder is entered, as the
/// loader reads them all, links followed once); a folder that cannot be read lists
/// nothing from it (a share gone away: its files are then seen to go, and the reading
/// says why).
fn listing(dir: &Path, recursive: bool, relevant: &(dyn Fn(&str) -> bool + Send + Sync)) -> Seen {
    let mut out = Seen::new();
    // The folders entered through a link (and the top), by their real paths: a link back
    // to one of them is not entered again. Plain folders cannot loop and are not looked
    // up (a round trip each on a share).
    let mut entered = std::collections::HashSet::new();
    entered.insert(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()));
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                let linked = e.file_type().is_ok_and(|t| t.is_symlink());
                let again = linked
                    && !entered
                        .insert(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()));
                if recursive && !again {
                    dirs.push(path);
                }
            } else if relevant(&e.file_name().to_string_lossy()) {
                out.insert(path, (meta.len(), meta.modified().ok()));
            }
        }
    }
    out
}

/// File systems whose files other machines change without this one's events: a share
/// of the office's file server (CIFS/SMB), NFS, WSL's Windows drives (9p, drvfs), a
/// container's folder of its host (virtiofs, grpcfuse, fakeowner), sshfs and the like.
const NETWORK_FS: &[&str] = &[
    "cifs",
    "smb3",
    "smbfs",
    "nfs",
    "nfs4",
    "9p",
    "drvfs",
    "virtiofs",
    "fuse.grpcfuse",
    "fakeowner",
    "fuse.sshfs",
    "fuse.rclone",
    "davfs",
    "fuse.davfs2",
    "afs",
    "ceph",
    "glusterfs",
    "fuse.glusterfs",
    "vboxsf",
    "vmhgfs",
    "fuse.vmhgfs-fuse",
    "fuse.gvfsd-fuse",
];

/// The network file system `path` lies on, by the mount table (`/proc/self/mounts`, the
/// longest mount point above it); none elsewhere, or off Linux.
pub fn network_fs(path: &Path) -> Option<String> {
    let path = std::fs::canonicalize(path).ok()?;
    let table = std::fs::read_to_string("/proc/self/mounts").ok()?;
    network_fs_in(&table, &path)
}

/// [`network_fs`] over the text of a mount table.
fn network_fs_in(table: &str, path: &Path) -> Option<String> {
    let (_, fs) = table
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, point, fs) = (f.next()?, f.next()?, f.next()?);
            Some((unescape(point), fs))
        })
        .filter(|(point, _)| path.starts_with(point))
        // The last of the longest: a later mount over the same point hides the earlier.
        .fold(
            None,
            |best: Option<(PathBuf, &str)>, (point, fs)| match &best {
                Some((b, _)) if b.as_os_str().len() > point.as_os_str().len() => best,
                _ => Some((point, fs)),
            },
        )?;
    NETWORK_FS.contains(&fs).then(|| fs.to_string())
}

/// A mount table's path, whose space, tab, newline and backslash are written `\NNN`.
fn unescape(s: &str) -> PathBuf {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], octal) {
            (b'\\', Some(d)) => {
                out.push(
                    d.iter()
                        .fold(0u8, |n, c| n.wrapping_mul(8).wrapping_add(c - b'0')),
                );
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(out))
    }
    #[cfg(not(unix))]
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mount table as Linux writes it (`/proc/self/mounts`), by hand: the file system
    /// of the longest mount point above a path decides, a later mount over the same
    /// point hides the earlier, and escaped spaces are read.
    #[test]
    fn the_file_system_under_a_path_is_the_longest_mount_above_it() {
        let table = "/dev/sda1 / ext4 rw,relatime 0 0
//fileserver/\\344\\270\\200 /mnt/ledgers cifs rw,vers=3.0 0 0
/dev/sdb1 /mnt/ledgers/local ext4 rw 0 0
fs:/export /srv/nfs nfs4 rw 0 0
C:\\134 /mnt/c 9p rw 0 0
/dev/sdc1 /srv/over ext4 rw 0 0
//fs/x /srv/over cifs rw 0 0
//fs/y /mnt/with\\040space cifs rw 0 0
";
        let fs = |p: &str| network_fs_in(table, Path::new(p));
        assert_eq!(fs("/mnt/ledgers/haimen").as_deref(), Some("cifs"));
        assert_eq!(fs("/mnt/ledgers/local/haimen"), None);
        assert_eq!(fs("/mnt/ledgersX/haimen"), None);
        assert_eq!(fs("/srv/nfs/a/b").as_deref(), Some("nfs4"));
        assert_eq!(fs("/mnt/c/Users/台账").as_deref(), Some("9p"));
        assert_eq!(fs("/srv/over/a").as_deref(), Some("cifs"));
        assert_eq!(fs("/mnt/with space/a").as_deref(), Some("cifs"));
        assert_eq!(fs("/home/gis/haimen"), None);
    }

    /// A listing enters every folder (hidden ones too: the loader reads them), follows
    /// links (a changed target is a changed file) once, and leaves out files whose names
    /// are not relevant.
    #[cfg(unix)]
    #[test]
    fn a_listing_follows_links_and_enters_every_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir_all(dir.join(".archive")).unwrap();
        std::fs::write(dir.join("houses.csv"), "a").unwrap();
        std::fs::write(dir.join(".archive/old.csv"), "b").unwrap();
        std::fs::write(dir.join("~$houses.xlsx"), "lock").unwrap();
        std::fs::write(root.path().join("outside.csv"), "c").unwrap();
        std::os::unix::fs::symlink(root.path().join("outside.csv"), dir.join("link.csv")).unwrap();
        std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
        let relevant = |n: &str| !n.starts_with("~$");
        let seen = listing(&dir, true, &relevant);
        let names: Vec<String> = seen
            .keys()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(names, [".archive/old.csv", "houses.csv", "link.csv"]);
        assert_eq!(seen[&dir.join("link.csv")].0, 1);
        std::fs::write(root.path().join("outside.csv"), "cc").unwrap();
        assert_ne!(listing(&dir, true, &relevant), seen);
    }
}
