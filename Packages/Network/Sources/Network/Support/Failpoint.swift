import Glibc

/// Crash points for the tests of crash recovery: with `DOSIRAK_FAILPOINT=NAME` in the
/// environment, the process kills itself with SIGKILL when it reaches `check(NAME)`, as a
/// power cut or `kill -9` would, half-way through setting something up. Without the
/// variable (always, outside those tests), `check` does nothing.
enum Failpoint {
    static let armed = getenv("DOSIRAK_FAILPOINT").map { String(cString: $0) }

    static func check(_ name: String) {
        if armed == name { raise(SIGKILL) }
    }
}
