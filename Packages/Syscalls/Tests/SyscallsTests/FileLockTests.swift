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
        // A child that another test forked just now may share the open file (until its exec
        // closes it), and with it the lock for a moment: wait for that moment to pass.
        var second: FileLock?
        for _ in 0..<200 {
            second = try FileLock.tryAcquire(path)
            if second != nil { break }
            usleep(10_000)
        }
        try #require(second).release()
    }

    @Test("a lock held by a killed process is released by the kernel",
          .enabled(if: access("/usr/bin/flock", X_OK) == 0, "needs flock(1) from util-linux"))
    func releasedOnDeath() throws {
        let path = NSTemporaryDirectory() + "dosirak-lock-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        // flock(1) takes the lock and holds it while sleep runs (--close: sleep itself does not).
        var spawn = Spawn("/usr/bin/flock", arguments: ["--close", path, "/bin/sleep", "30"])
        spawn.newSession = true  // a process group of its own, so that sleep can be killed with it
        let holder = try spawn.start()
        var holderHasIt = false
        for _ in 0..<300 {
            guard !holderHasIt else { break }
            if let probe = try FileLock.tryAcquire(path) { probe.release(); usleep(10_000) } else { holderHasIt = true }
        }
        #expect(holderHasIt, "the holder should have taken the lock")
        kill(-holder.pid.rawValue, SIGKILL)
        _ = try holder.wait()
        // flock's forked child (killed too) may still be on its way out, holding a copy.
        var lock: FileLock?
        for _ in 0..<200 {
            guard lock == nil else { break }
            lock = try FileLock.tryAcquire(path)
            if lock == nil { usleep(10_000) }
        }
        #expect(lock != nil, "the lock should be free once its holders are dead")
        lock?.release()
    }
}
