import CSyscalls
import Glibc

/// Pseudo-terminals and the ioctls that make a terminal work for a container.
public enum Terminal {
    /// The size of a terminal, in character cells.
    public struct WindowSize: Hashable, Codable, Sendable {
        public var rows: UInt16
        public var columns: UInt16
        public init(rows: UInt16, columns: UInt16) {
            self.rows = rows
            self.columns = columns
        }
    }

    /// A new pseudo-terminal: the controller end stays with Dosirak, the peer end becomes
    /// the container's stdin, stdout and stderr. Both are close-on-exec.
    ///
    /// The corresponding calls are `posix_openpt(3)`, `unlockpt(3)` and `ioctl(2)` with `TIOCGPTPEER`.
    public static func openPseudoTerminal() throws -> (controller: FileDescriptor, peer: FileDescriptor) {
        var controller: CInt = -1
        var peer: CInt = -1
        try nothingOrErrno { dsk_open_pty(&controller, &peer) }
        return (FileDescriptor(rawValue: controller), FileDescriptor(rawValue: peer))
    }

    /// Opens the peer end of the pseudo-terminal whose controller is `controller`,
    /// close-on-exec and without making it our controlling terminal.
    ///
    /// The corresponding calls are `unlockpt(3)` and `ioctl(2)` with `TIOCGPTPEER`.
    public static func openPeer(of controller: FileDescriptor) throws -> FileDescriptor {
        FileDescriptor(rawValue: try valueOrErrno { dsk_open_pty_peer(controller.rawValue) })
    }

    /// Makes the terminal `peer` descriptor `target` of this process (0, 1 or 2), inherited
    /// across exec.
    ///
    /// The corresponding system call is `dup2(2)`.
    public static func install(_ peer: FileDescriptor, as target: FileDescriptor) throws {
        _ = try valueOrErrno { dup2(peer.rawValue, target.rawValue) }
    }

    /// Makes the terminal `fd` the controlling terminal of this session (after `setsid`).
    ///
    /// The corresponding system call is `ioctl(2)` with `TIOCSCTTY`.
    public static func makeControlling(_ fd: FileDescriptor) throws {
        try nothingOrErrno { dsk_set_controlling_terminal(fd.rawValue) }
    }

    /// The terminal's size.
    ///
    /// The corresponding system call is `ioctl(2)` with `TIOCGWINSZ`.
    public static func windowSize(of fd: FileDescriptor) throws -> WindowSize {
        var rows: UInt16 = 0
        var columns: UInt16 = 0
        try nothingOrErrno { dsk_get_window_size(fd.rawValue, &rows, &columns) }
        return WindowSize(rows: rows, columns: columns)
    }

    /// Sets the terminal's size; the foreground process group receives `SIGWINCH`.
    ///
    /// The corresponding system call is `ioctl(2)` with `TIOCSWINSZ`.
    public static func setWindowSize(_ size: WindowSize, of fd: FileDescriptor) throws {
        try nothingOrErrno { dsk_set_window_size(fd.rawValue, size.rows, size.columns) }
    }
}
