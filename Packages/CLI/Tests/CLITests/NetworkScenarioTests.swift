import Foundation
import Glibc
import Testing
import Syscalls
@testable import CLI

/// The seed's scenarios with real networking, each inside a network namespace that the test
/// creates: bridges, veths, nftables rules and published ports never reach the machine's own.
@Suite("Networked containers through the dosirak command", .enabled(if: canRunContainers), .serialized)
struct NetworkScenarioTests {
    @Test("a web server on a published port: reached from the host side, listed by ps, logged, stopped, removed")
    func webServer() throws {
        let world = try World(network: true)
        let id = try world.run("run", "-d", "-p", "8080:8080", "--name", "web", "busybox", "sh", "-c",
                               "mkdir /www && echo 'hello from dosirak' > /www/index.html && exec httpd -f -v -p 8080 -h /www")
            .output.trimmingCharacters(in: .newlines)
        var page = ""
        #expect(world.eventually {
            page = (try? world.shell("busybox wget -qO- http://127.0.0.1:8080/").output) ?? ""
            return page == "hello from dosirak\n"
        })
        let ps = try world.run("ps", "--format", "{{.Names}}|{{.Ports}}|{{.Status}}")
        #expect(ps.output.hasPrefix("web|0.0.0.0:8080->8080/tcp|Up "))
        #expect(try world.run("port", "web").output == "8080/tcp -> 0.0.0.0:8080\n")
        #expect(world.eventually { (try? world.run("logs", "web").errors.contains("response:200")) == true })
        // The same port again is refused, and the refused container leaves nothing behind.
        let clash = try world.run("run", "-d", "-p", "8080:80", "--name", "clash", "busybox", "sleep", "5")
        #expect(clash.status == 125)
        #expect(clash.errors.contains("8080") && clash.errors.split(separator: "\n").count == 1)
        #expect(try world.run("ps", "--format", "{{.Names}}").output == "web\n")
        #expect(try world.run("stop", "web").status == 0)
        #expect(try world.shell("busybox wget -qO- -T 1 http://127.0.0.1:8080/").status != .exited(0))
        #expect(try world.run("rm", "web").output == "web\n")
        #expect(leftovers(world, id).isEmpty)
        let links = try world.shell("ip -o link show type veth").output
        #expect(links.isEmpty)
    }

    @Test("a database and an app on a user network: the app finds it by name, and through a port published on the gateway")
    func databaseAndApp() throws {
        let world = try World(network: true)
        #expect(try world.run("network", "create", "app-network").status == 0)
        let database = try world.run("run", "-d", "--name", "mysql", "--network", "app-network", "-e", "MYSQL_ROOT_PASSWORD=secret",
                                     "-p", "172.17.0.1:3306:3306", "busybox", "sh", "-c",
                                     "exec nc -ll -p 3306 -e sh -c 'echo password=$MYSQL_ROOT_PASSWORD'")
        #expect(database.status == 0)
        let byName = try world.run("run", "--rm", "--network", "app-network", "busybox", "sh", "-c",
                                   "for i in 1 2 3 4 5; do nc mysql 3306 </dev/null && break; sleep 0.2; done")
        #expect(byName.output == "password=secret\n")
        // The default network's gateway is 172.17.0.1, where -p published the database.
        let viaGateway = try world.run("run", "--rm", "busybox", "nc", "172.17.0.1", "3306")
        #expect(viaGateway.output == "password=secret\n")
        let exec = try world.run("exec", "mysql", "sh", "-c", "echo $MYSQL_ROOT_PASSWORD; hostname -i")
        #expect(exec.output.hasPrefix("secret\n172.18."))
        let inspect = try world.run("network", "inspect", "-f", "{{json .Containers}}", "app-network")
        #expect(inspect.output.contains("\"Name\":\"mysql\""))
        let busy = try world.run("network", "rm", "app-network")
        #expect(busy.status == 1 && busy.errors.contains("has active endpoints"))
        #expect(try world.run("rm", "-f", "mysql").status == 0)
        #expect(try world.run("network", "rm", "app-network").output == "app-network\n")
    }

    @Test("network connect and disconnect a running container")
    func connect() throws {
        let world = try World(network: true)
        _ = try world.run("network", "create", "backend")
        _ = try world.run("run", "-d", "--name", "api", "busybox", "sleep", "60")
        #expect(try world.run("network", "connect", "--alias", "service", "backend", "api").status == 0)
        let interfaces = try world.run("exec", "api", "sh", "-c", "ip -o -4 addr | awk '{print $2}' | sort | tr '\\n' ' '").output
        #expect(interfaces == "eth0 eth1 lo ")
        let lookup = try world.run("run", "--rm", "--network", "backend", "busybox", "nslookup", "service")
        #expect(lookup.output.contains("Address: 172."))
        #expect(try world.run("network", "disconnect", "backend", "api").status == 0)
        let after = try world.run("exec", "api", "sh", "-c", "ip -o -4 addr | awk '{print $2}' | sort | tr '\\n' ' '").output
        #expect(after == "eth0 lo ")
    }

    @Test("20 containers started at once, then removed at once: unique names and addresses, nothing leaked")
    func concurrency() throws {
        let world = try World(network: true)
        _ = try world.run("run", "--rm", "busybox", "true")  // the default network, made once
        let count = 20
        let results = ResultsBox(count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            results.set(index, try? world.run("run", "-d", "busybox", "sleep", "120"))
        }
        let ids = results.values.compactMap { $0?.status == 0 ? $0?.output.trimmingCharacters(in: .newlines) : nil }
        #expect(ids.count == count, "failures: \(results.values.compactMap { $0?.errors }.filter { !$0.isEmpty })")
        let listing = try world.run("ps", "--format", "{{.Names}}").lines
        #expect(listing.count == count && Set(listing).count == count)
        let addresses = try world.run(["inspect", "-f", "{{.NetworkSettings.IPAddress}}"] + ids).lines
        #expect(Set(addresses).count == count && addresses.allSatisfy { $0.hasPrefix("172.17.") })
        DispatchQueue.concurrentPerform(iterations: count) { index in
            results.set(index, try? world.run("rm", "-f", ids[index]))
        }
        #expect(results.values.allSatisfy { $0?.status == 0 })
        #expect(try world.run("ps", "-aq").output.isEmpty)
        for id in ids { #expect(leftovers(world, id).isEmpty) }
        #expect(try world.shell("ip -o link show type veth").output.isEmpty)
        let addressFile = (try? String(contentsOfFile: world.root + "/networks/bridge/addresses.json", encoding: .utf8)) ?? ""
        #expect(!addressFile.contains("172.17.0.2\""))
    }
}

final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [CommandResult?]
    init(_ count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: CommandResult?) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}
