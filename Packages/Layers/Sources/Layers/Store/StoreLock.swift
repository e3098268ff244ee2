import Glibc
import Syscalls

/// A lock file in the store, held with `flock(2)` while a command reads or changes what it
/// guards. Two are used:
///
/// - `index.lock`, exclusive while the image index or the holds are read, changed and
///   written back, so two `tag`s never lose one another's update;
/// - `content.lock`, shared by every command that adds blobs or snapshots (a pull, a load),
///   exclusive for garbage collection, so nothing is collected between the moment a pull
///   stores a blob and the moment it names it in the index.
///
/// A process that dies releases its locks with its descriptors: a crash never wedges the store.
package struct StoreLock {
    let path: String

    /// Runs `body` holding the lock.
    package func withLock<T>(_ kind: FileDescriptor.LockKind, _ body: () throws -> T) throws -> T {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .readWrite, options: [.create], permissions: 0o600)
        } catch let error as Errno {
            throw LayersError.file("open", path, error)
        }
        defer { try? fd.close() }
        do { try fd.lock(kind) } catch let error as Errno { throw LayersError.file("flock", path, error) }
        return try body()
    }

    /// Takes the lock and returns the descriptor that holds it; closing it releases the lock.
    /// (For work that spans `await`s, where a closure cannot hold it.)
    package func acquire(_ kind: FileDescriptor.LockKind) throws -> FileDescriptor {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .readWrite, options: [.create], permissions: 0o600)
        } catch let error as Errno {
            throw LayersError.file("open", path, error)
        }
        do { try fd.lock(kind) } catch let error as Errno {
            try? fd.close()
            throw LayersError.file("flock", path, error)
        }
        return fd
    }
}
