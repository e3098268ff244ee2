import Foundation
import Glibc
import Testing
@testable import Syscalls

@Suite("FileLock")
struct FileLockTests {
    @Test("a second open of the same file cannot take the lock until the first releases it")
    func exclusive() throws {
        let path = NSTemporaryDirectory() + "dosirak-lock-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        let first = try FileLock.acquire(path)
        #expect(try FileLock.tryAcquire(path) == nil)
        first.release()
        let second = try #require(try FileLock.tryAcquire(path))
        second.release()
    }

    @Test("a lock held by a killed process is released by the kernel")
    func releasedOnDeath() throws {
        let path = NSTemporaryDirectory() + "dosirak-lock-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        // flock(1) from util-linux holds the lock while sleep runs.
        guard let flockTool = ["/usr/bin/flock", "/bin/flock"].first(where: { access($0, X_OK) == 0 }) else { return }
        let holder = try Spawn(flockTool, arguments: [path, "sleep", "30"]).start()
        var waited = 0
        while try FileLock.tryAcquire(path).map({ $0.release(); return true }) == true && waited < 200 {
            usleep(10_000); waited += 1
        }
        #expect(try FileLock.tryAcquire(path) == nil, "the holder should have the lock")
        try holder.pid.send(.kill)
        _ = try holder.wait()
        let lock = try #require(try FileLock.tryAcquire(path))
        lock.release()
    }
}
