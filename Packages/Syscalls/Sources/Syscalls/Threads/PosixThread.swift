import Glibc

/// One closure on a POSIX thread of its own: what Foundation's `Thread` does, which is not in
/// FoundationEssentials (see Text.swift for why the packages stop there).
///
/// The corresponding calls are `pthread_create(3)`, `pthread_join(3)` and
/// `pthread_attr_setdetachstate(3)`.
public enum PosixThread {
    /// Starts `work` on a new thread that nobody waits for (its end is signalled by `work`
    /// itself), with a stack of `stackSize` bytes.
    public static func detach(stackSize: Int = 1 << 20, _ work: @escaping @Sendable () -> Void) throws {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        _ = try start(Work(work), attributes: &attributes)
    }

    /// A thread started with `start`, to be waited for with `join` (by one thread).
    public final class Running: @unchecked Sendable {
        let thread: pthread_t
        private var joined = false

        init(thread: pthread_t) { self.thread = thread }

        /// Waits for the thread to end; at once if it was waited for already.
        public func join() {
            guard !joined else { return }
            joined = true
            pthread_join(thread, nil)
        }

        deinit { join() }
    }

    /// Starts `work` on a new thread, to run beside the caller's work until `join`.
    public static func start(_ work: @escaping @Sendable () -> Void) throws -> Running {
        Running(thread: try start(Work(work), attributes: nil))
    }

    /// Runs `work` on a new thread and waits for it to end. For the calls that change the
    /// calling thread for good, such as `setns(2)` into a network namespace.
    public static func runAndWait(_ work: () -> Void) throws {
        try withoutActuallyEscaping(work) { work in
            let thread = try start(Work(work), attributes: nil)
            pthread_join(thread, nil)
        }
    }

    private final class Work: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private static func start(_ work: Work, attributes: UnsafePointer<pthread_attr_t>?) throws -> pthread_t {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(work).toOpaque()
        let rc = pthread_create(&thread, attributes, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Work>.fromOpaque(context).release()
            throw Errno(rawValue: rc)
        }
        return thread
    }
}

/// A mutual-exclusion lock for state that threads share (`pthread_mutex_t`).
public final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` holding the lock.
    public func withLock<Value>(_ body: () throws -> Value) rethrows -> Value {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
