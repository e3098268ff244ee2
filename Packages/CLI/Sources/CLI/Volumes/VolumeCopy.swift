import Glibc
import Layers
import Syscalls

/// A new volume gets what the image has at its mount point (MySQL's image ships
/// /var/lib/mysql with the right owner): the directory is archived with chapter 04's tar
/// writer and extracted with its extractor, which keeps owners, modes, links and times.
/// `dosirak cp` copies the same way.
enum VolumeCopy {
    static func copy(from source: String, to destination: String) throws {
        var info = stat()
        guard lstat(source, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return }  // nothing there to copy
        let temporary = destination + ".copy-\(getpid()).tar"
        let archive = try FileDescriptor.open(temporary, .readWrite, options: [.create, .exclusive, .truncate], permissions: 0o600)
        defer {
            try? archive.close()
            unlink(temporary)
        }
        try DirectoryArchiver().archive(source, to: TarWriter(FileSink(archive, name: temporary)))
        _ = lseek(archive.rawValue, 0, SEEK_SET)
        let extractor = try Extractor(into: destination, whiteouts: .keep)
        defer { extractor.close() }
        try extractor.extract(TarReader(FileSource(archive, name: temporary)))
        // The mount point itself: its owner and mode become the volume's.
        chown(destination, info.st_uid, info.st_gid)
        chmod(destination, info.st_mode & 0o7777)
    }
}
