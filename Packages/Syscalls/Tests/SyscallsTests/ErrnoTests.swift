import Glibc
import Testing
@testable import Syscalls

@Suite("Errno")
struct ErrnoTests {
    @Test("known codes print their symbolic names")
    func names() {
        #expect(Errno.invalidArgument.description == "EINVAL")
        #expect(Errno(rawValue: ENOENT).name == "ENOENT")
        #expect(Errno.busy.message == "Device or resource busy")
    }

    @Test("an unknown code never traps and prints its number")
    func unknownCode() {
        #expect(Errno(rawValue: 4242).description == "errno 4242")
    }

    @Test("catch Errno.x matches a thrown Errno")
    func catchPattern() {
        var matched = false
        do { throw Errno.busy } catch Errno.busy { matched = true } catch {}
        #expect(matched)
        #expect(!(Errno.notPermitted ~= Errno.busy))
    }

    @Test("a failing call throws the errno it set, read before anything else ran")
    func failingCall() throws {
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try FileDescriptor.open("/nonexistent/\(getpid())")
        }
    }
}
