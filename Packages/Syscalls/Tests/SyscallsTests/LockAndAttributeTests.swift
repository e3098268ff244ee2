import Foundation
import Glibc
import Testing
@testable import Syscalls

@Suite("File locks and extended attributes")
struct LockAndAttributeTests {
    @Test("an exclusive flock keeps a second open file out until it is released")
    func exclusiveLock() throws {
        try withTemporaryDirectory { directory in
            let first = try FileDescriptor.open(directory + "/lock", .readWrite, options: .create)
            let second = try FileDescriptor.open(directory + "/lock", .readWrite)
            defer { try? first.close(); try? second.close() }
            try first.lock(.exclusive)
            #expect(throws: Errno(rawValue: EWOULDBLOCK)) { try second.lock(.shared, wait: false) }
            try first.unlock()
            try second.lock(.shared, wait: false)
            #expect(throws: Errno(rawValue: EWOULDBLOCK)) { try first.lock(.exclusive, wait: false) }
            try first.lock(.shared, wait: false)  // shared locks coexist
        }
    }

    @Test("a closed descriptor releases its lock")
    func closeReleases() throws {
        try withTemporaryDirectory { directory in
            let first = try FileDescriptor.open(directory + "/lock", .readWrite, options: .create)
            try first.lock(.exclusive)
            try first.close()
            let second = try FileDescriptor.open(directory + "/lock", .readWrite)
            defer { try? second.close() }
            try second.lock(.exclusive, wait: false)
        }
    }

    @Test("a user extended attribute is set, read back and listed; a missing one is nil")
    func userAttribute() throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/f"
            FileManager.default.createFile(atPath: file, contents: Data())
            do {
                try FileSystem.setExtendedAttribute("user.dosirak", to: Array("lunch".utf8), of: file)
            } catch Errno.notSupported {
                return  // a file system without user xattrs (tmpfs before 6.6)
            }
            #expect(try FileSystem.extendedAttribute("user.dosirak", of: file) == Array("lunch".utf8))
            #expect(try FileSystem.extendedAttributeNames(of: file).contains("user.dosirak"))
            #expect(try FileSystem.extendedAttribute("user.none", of: file) == nil)
        }
    }

    @Test("a trusted extended attribute is set as root", .enabled(if: isRoot, "needs root"))
    func trustedAttribute() throws {
        try withTemporaryDirectory { directory in
            try FileSystem.setExtendedAttribute("trusted.overlay.opaque", to: Array("y".utf8), of: directory)
            #expect(try FileSystem.extendedAttribute("trusted.overlay.opaque", of: directory) == Array("y".utf8))
        }
    }
}
