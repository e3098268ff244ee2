import Foundation
import Syscalls
import Testing
@testable import CLI

@Suite("Command lines, read the way Docker reads them")
struct ArgumentTests {
    @Test("clustered short flags, attached values and `--` are understood")
    func clusters() throws {
        let parsed = try ParsedArguments(["-dit", "-p8080:80", "-e", "A=1", "--name=web", "busybox", "sh", "-c", "echo -x"],
                                         flags: RunOptions.flags, stopAtFirstPositional: true)
        #expect(parsed.bool("detach") && parsed.bool("interactive") && parsed.bool("tty"))
        #expect(parsed.list("publish") == ["8080:80"])
        #expect(parsed.list("env") == ["A=1"])
        #expect(parsed.value("name") == "web")
        #expect(parsed.positional == ["busybox", "sh", "-c", "echo -x"])
    }

    @Test("an unknown flag is a usage error naming it")
    func unknownFlag() {
        #expect(throws: CommandError.self) { try ParsedArguments(["--bogus"], flags: RunOptions.flags, stopAtFirstPositional: true) }
        do {
            _ = try ParsedArguments(["-z"], flags: RunOptions.flags, stopAtFirstPositional: true)
        } catch CommandError.usage(let message) {
            #expect(message.contains("'z'"))
        } catch {
            Issue.record("wrong error \(error)")
        }
    }

    @Test("-p forms: container port, host:container, address, ranges, udp", arguments: [
        ("80", ["0.0.0.0:0->80/tcp"]), ("8080:80", ["0.0.0.0:8080->80/tcp"]), ("127.0.0.1:8080:80", ["127.0.0.1:8080->80/tcp"]),
        ("53:53/udp", ["0.0.0.0:53->53/udp"]), ("8000-8001:9000-9001", ["0.0.0.0:8000->9000/tcp", "0.0.0.0:8001->9001/tcp"]),
    ])
    func ports(_ text: String, _ expected: [String]) throws {
        #expect(try RunOptions.portMappings(text).map(\.description) == expected)
    }

    @Test("bad -p values are refused", arguments: ["", "x", "8080:", "1:2:3:4", "70000:80", "8000-8002:9000-9001"])
    func badPorts(_ text: String) {
        #expect(throws: CommandError.self) { try RunOptions.portMappings(text) }
    }

    @Test("-m sizes in Docker's units")
    func sizes() throws {
        #expect(try RunOptions.bytes("512m", flag: "memory") == 512 << 20)
        #expect(try RunOptions.bytes("1g", flag: "memory") == 1 << 30)
        #expect(try RunOptions.bytes("1GB", flag: "memory") == 1 << 30)
        #expect(try RunOptions.bytes("4096", flag: "memory") == 4096)
        #expect(throws: CommandError.self) { try RunOptions.bytes("lots", flag: "memory") }
        #expect(throws: CommandError.self) { try RunOptions.bytes("-1m", flag: "memory") }
    }

    @Test("restart policies")
    func restartPolicies() throws {
        #expect(try RestartPolicy(parsing: "on-failure:3") == .onFailure(limit: 3))
        #expect(try RestartPolicy(parsing: "always").restarts(exitCode: 0, restarts: 9, stoppedByUser: false))
        #expect(try !RestartPolicy(parsing: "unless-stopped").restarts(exitCode: 1, restarts: 0, stoppedByUser: true))
        #expect(try !RestartPolicy(parsing: "on-failure:2").restarts(exitCode: 1, restarts: 2, stoppedByUser: false))
        #expect(throws: CommandError.self) { try RestartPolicy(parsing: "sometimes") }
    }

    @Test("volumes: bind, named, anonymous, read-only")
    func volumes() throws {
        #expect(try VolumeSpec(parsing: "/srv:/www:ro") .kind == .bind)
        #expect(try VolumeSpec(parsing: "/srv:/www:ro").readOnly)
        #expect(try VolumeSpec(parsing: "data:/var/lib/mysql").source == "data")
        #expect(try VolumeSpec(parsing: "/data").source == "")
        #expect(throws: CommandError.self) { try VolumeSpec(parsing: "data:relative") }
        #expect(throws: CommandError.self) { try VolumeSpec(parsing: "/a:/b:bogus") }
    }

    @Test("the environment: image, HOSTNAME, then -e, later names winning")
    func environment() {
        let merged = ContainerEnvironment.merge(image: ["PATH=/bin", "A=1"], hostname: "abc", tty: true, flags: ["A=2", "B=3"])
        #expect(merged == ["PATH=/bin", "A=2", "HOSTNAME=abc", "TERM=xterm", "B=3"])
    }

    @Test("templates: fields, json, tables")
    func templates() throws {
        let fields: [String: Any] = ["ID": "abc", "Names": "web", "Nested": ["Status": "running"]]
        #expect(try Template("{{.ID}} {{.Names}}").render(fields) == "abc web")
        #expect(try Template("{{.Nested.Status}}").render(fields) == "running")
        #expect(try Template("{{json .Nested}}").render(fields) == "{\"Status\":\"running\"}")
        #expect(try Template("table {{.ID}}\\t{{.Names}}").render([fields], names: ["ID": "CONTAINER ID", "Names": "NAMES"])
                == "CONTAINER ID   NAMES\nabc            web")
        #expect(throws: CommandError.self) { try Template("{{.ID").render(fields) }
    }

    @Test("human durations and sizes as Docker prints them")
    func human() {
        #expect(Timestamp.humanDuration(0.5) == "Less than a second")
        #expect(Timestamp.humanDuration(90) == "About a minute")
        #expect(Timestamp.humanDuration(3 * 3600) == "3 hours")
        #expect(Timestamp.bytes(4_860) == "4.86kB")
        #expect(Timestamp.bytes(0) == "0B")
        #expect(Timestamp.bytes(1_234_567) == "1.23MB")
        #expect(Timestamp.goFormat(Date(timeIntervalSince1970: 1_795_948_407.07)) == "2026-11-29 10:33:27 +0000 UTC")
    }
}
