import FoundationEssentials
import Glibc
import Syscalls
import Testing

@Suite("Text, times and threads without the whole of Foundation")
struct TextAndThreadTests {
    @Test("printf formats through vsnprintf, long results included")
    func printf() {
        #expect(String(printf: "%.2f%%", 12.345) == "12.35%")
        #expect(String(printf: "%02x:%04d", 10, 7) == "0a:0007")
        #expect(String(printf: "%.3g", 4.86) == "4.86")
        #expect(String(printf: "%0300d", 7) == String(repeating: "0", count: 299) + "7")
    }

    @Test("trimming removes only the given characters at both ends")
    func trimming() {
        #expect("  a b \t\r\n".trimmingWhitespace() == "a b")
        #expect("\n".trimmingWhitespace() == "")
        #expect("'quoted'".trimming(["'"]) == "quoted")
        #expect("..a.b..".trimming(["."]) == "a.b")
    }

    @Test("RFC 3339 times are written and read back without ICU, offsets and fractions included")
    func rfc3339() {
        let date = Date(timeIntervalSince1970: 1_795_948_407.070865)
        #expect(Timestamp.rfc3339(date) == "2026-11-29T10:33:27.070865000Z")
        #expect(Timestamp.rfc3339Seconds(date) == "2026-11-29T10:33:27Z")
        #expect(Timestamp.parse(Timestamp.rfc3339(date)) == date)
        #expect(Timestamp.parse("2026-11-29T10:33:27Z") == Date(timeIntervalSince1970: 1_795_948_407))
        #expect(Timestamp.parse("2026-11-29T19:33:27+09:00") == Date(timeIntervalSince1970: 1_795_948_407))
        #expect(Timestamp.parse("2026-11-29T10:33:27.5Z") == Date(timeIntervalSince1970: 1_795_948_407.5))
        #expect(Timestamp.parse("1970-01-01T00:00:00.000000001Z")!.timeIntervalSince1970 < 0.000001)
        for bad in ["", "2026-11-29", "2026-11-29T10:33:27", "2026-13-29T10:33:27Z", "2026-11-29T10:33:27.Z",
                    "2026-11-29 10:33:27Z", "2026-11-29T10:33:27+0900", "yesterday"] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("runAndWait runs on another thread and returns after it")
    func runAndWait() throws {
        let caller = pthread_self()
        var worker: pthread_t?
        try PosixThread.runAndWait { worker = pthread_self() }
        #expect(worker != nil && pthread_equal(worker!, caller) == 0)
    }

    @Test("a started thread runs beside the caller until join")
    func startAndJoin() throws {
        let lock = Lock()
        nonisolated(unsafe) var steps: [String] = []
        let (read, write) = try FileDescriptor.pipe()
        defer { try? read.close() }
        let running = try PosixThread.start {
            _ = try? read.read(upTo: 1)  // until the caller has done its part
            lock.withLock { steps.append("thread") }
        }
        lock.withLock { steps.append("caller") }
        try write.writeAll("x")
        try write.close()
        running.join()
        #expect(lock.withLock { steps } == ["caller", "thread"])
    }

    @Test("a detached thread runs; a Lock keeps its updates whole")
    func detached() throws {
        let lock = Lock()
        nonisolated(unsafe) var count = 0
        for _ in 0..<8 {
            try PosixThread.detach(stackSize: 256 << 10) {
                for _ in 0..<10_000 { lock.withLock { count += 1 } }
            }
        }
        var waited = 0
        while lock.withLock({ count }) < 80_000 && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        #expect(lock.withLock { count } == 80_000)
    }
}
