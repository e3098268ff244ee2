import Foundation
import Glibc
import Testing
import Syscalls
@testable import CLI

@Suite("logs, wait, attach, pause and the rest", .enabled(if: canRunContainers), .serialized)
struct ContainerCommandTests {
    @Test("logs: --tail, -t, --since, stdout and stderr apart, and -f until the container ends")
    func logs() throws {
        let world = try World()
        _ = try world.run("run", "--name", "talker", "--network", "none", "busybox", "sh", "-c",
                          "for i in 1 2 3 4; do echo line $i; done; echo oops >&2")
        let all = try world.run("logs", "talker")
        #expect(all.output == "line 1\nline 2\nline 3\nline 4\n")
        #expect(all.errors == "oops\n")
        #expect(try world.run("logs", "--tail", "2", "talker").output == "line 4\n")
        let stamped = try world.run("logs", "-t", "--tail", "1", "talker").errors
        #expect(stamped.hasSuffix("Z oops\n") && Timestamp.parse(String(stamped.prefix { $0 != " " })) != nil)
        #expect(try world.run("logs", "--since", "1h", "talker").output.count == all.output.count)
        #expect(try world.run("logs", "--since", "2099-01-01T00:00:00Z", "talker").output.isEmpty)
        #expect(try world.run("logs", "--since", "yesterday", "talker").status == 1)
        _ = try world.run("run", "-d", "--name", "slow", "--network", "none", "busybox", "sh", "-c",
                          "echo start; sleep 1; echo end")
        let started = Date()
        let followed = try world.run("logs", "-f", "slow")
        #expect(followed.output == "start\nend\n")
        #expect(Date().timeIntervalSince(started) > 0.5)
    }

    @Test("wait prints the exit code once the container ends; inspect, port and rm -v of anonymous volumes")
    func waitAndInspect() throws {
        let world = try World()
        _ = try world.run("run", "-d", "--name", "short", "--network", "none", "-v", "/scratch", "busybox",
                          "sh", "-c", "sleep 0.5; exit 9")
        #expect(try world.run("wait", "short").output == "9\n")
        let inspect = try world.run("inspect", "short")
        let document = try JSONSerialization.jsonObject(with: Data(inspect.output.utf8)) as? [[String: Any]]
        let state = document?.first?["State"] as? [String: Any]
        #expect(state?["Status"] as? String == "exited")
        #expect(state?["ExitCode"] as? Int == 9)
        #expect(document?.first?["Name"] as? String == "/short")
        #expect(inspect.output.hasPrefix("[\n    {\n        \"Id\": "))
        let mounts = document?.first?["Mounts"] as? [[String: Any]]
        let names = try world.run("volume", "ls", "-q").lines
        #expect(names.count == 1)
        #expect(mounts?.first?["Type"] as? String == "volume" && mounts?.first?["Name"] as? String == names.first)
        #expect(mounts?.first?["Destination"] as? String == "/scratch")
        #expect(try world.run("rm", "-v", "short").status == 0)
        #expect(try world.run("volume", "ls", "-q").output.isEmpty)
        let missing = try world.run("inspect", "nosuch")
        #expect(missing.status == 1 && missing.output == "[]\n" && missing.errors == "Error: No such object: nosuch\n")
        #expect(try world.run("inspect", "--type", "image", "-f", "{{.Os}}", "busybox").output == "linux\n")
    }

    @Test("attach to a detached container gets its output and its exit code; pause freezes, unpause thaws")
    func attachAndPause() throws {
        let world = try World()
        _ = try world.run("run", "-d", "-i", "--name", "echoer", "--network", "none", "busybox", "sh", "-c",
                          "read line; echo got $line; exit 6")
        let attached = try world.run("attach", "echoer", stdin: "hello\n")
        #expect(attached.status == 6)
        #expect(attached.output == "got hello\n")
        _ = try world.run("run", "-d", "--name", "sleeper", "--network", "none", "busybox", "sleep", "60")
        #expect(try world.run("pause", "sleeper").status == 0)
        #expect(try world.run("ps", "--format", "{{.Status}}", "-f", "name=sleeper").output.hasSuffix("(Paused)\n"))
        let pid = try world.run("inspect", "-f", "{{.State.Pid}}", "sleeper").output.trimmingCharacters(in: .newlines)
        let state = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8).split(separator: " ")[2]
        #expect(state == "D" || state == "S")  // frozen tasks sleep in the freezer
        #expect(try world.run("unpause", "sleeper").status == 0)
        #expect(try world.run("inspect", "-f", "{{.State.Status}}", "sleeper").output == "running\n")
        // A paused container refuses exec with Docker's words, and still stops (it is thawed
        // for its signal).
        _ = try world.run("pause", "sleeper")
        #expect(try world.run("exec", "sleeper", "true").errors.contains("is paused, unpause the container before exec"))
        #expect(try world.run("stop", "-t", "1", "sleeper").status == 0)
    }

    @Test("every command answers --help with its usage, and an unknown command is refused")
    func help() throws {
        let world = try World(image: false)
        for command in Commands.all {
            let result = try world.run(command.name.split(separator: " ").map(String.init) + ["--help"])
            #expect(result.status == 0, "\(command.name)")
            #expect(result.output.contains("Usage:  dosirak " + command.name), "\(command.name)")
        }
        let unknown = try world.run("frobnicate")
        #expect(unknown.status == 1)
        #expect(unknown.errors.hasPrefix("dosirak: 'frobnicate' is not a dosirak command."))
        #expect(try world.run("--help").output.contains("Commands:"))
    }
}
