import Foundation
import Testing
import TestSupport
import Training

/// Real multi-host runs on one machine: two "hosts" are network namespaces joined by veth pairs
/// and a bridge (Scripts/cluster/netns-hosts.sh), each with its own host name; mpirun starts the
/// remote daemons through Scripts/cluster/netns-agent instead of ssh, and ranks talk TCP over
/// 10.77.0.0/24 only. Needs root (as the CI machine and this one run).
extension MPITrainingTests {
    static let hostsScript = root.appendingPathComponent("Scripts/cluster/netns-hosts.sh").path

    /// `Scripts/launch.sh ranks train …` on the namespace hosts (`hosts` are hostfile lines):
    /// mpirun reaches them through the agent and TCP on the bridge only.
    static func trainOnHosts(_ hosts: [String], ranks: Int, output: URL, _ overrides: [String], resume: Bool = false,
                             background: ((ChildProcess) throws -> Void)? = nil) throws -> Outcome {
        let hostfile = folder("hostfile").path
        try hosts.joined(separator: "\n").write(toFile: hostfile, atomically: true, encoding: .utf8)
        let options = "--mca plm_rsh_agent \(root.appendingPathComponent("Scripts/cluster/netns-agent").path) "
            + "--mca oob_tcp_if_include 10.77.0.0/24 --mca btl_tcp_if_include 10.77.0.0/24 --mca btl self,vader,tcp"
        let job = try launch(output: output, overrides, ranks: ranks, resume: resume,
                             environment: ["HOSTFILE": hostfile, "MPIRUN_OPTIONS": options, "BERTIN_TIMEOUT": "10"])
        do { try background?(job) } catch { killJobs(job, writing: output); throw error }
        let (status, text) = try job.finish(seconds: 480)
        return Outcome(status: status, output: text, seconds: Date().timeIntervalSince(job.started))
    }

    static func sh(_ command: String) throws -> Int32 { try Self.command("/bin/sh", ["-c", command]) }

    @Test func twoNetworkHostsAgreeSurviveAHostAndALinkAndResume() throws {
        #expect(geteuid() == 0, "network namespaces need root")
        // Without the namespaces nothing below can run: stop here, named, instead of timing out job by job.
        try #require(try Self.command("/bin/bash", [Self.hostsScript, "up", "2"]) == 0, "Scripts/cluster/netns-hosts.sh up 2 failed")
        defer { _ = try? Self.command("/bin/bash", [Self.hostsScript, "down"]) }
        let twoHosts = ["host1 slots=2", "host2 slots=2"]

        // 1. The layout test across hosts: 4 ranks, 2 per host, 8 devices = the plain process bitwise.
        let steps = ["phases.0.steps=16", "phases.1.steps=4", "checkpoint_every=1000"]
        let plain = Self.folder("hosts-plain")
        #expect(try Self.train(ranks: nil, output: plain, steps).status == 0)
        let across = Self.folder("hosts-across")
        let outcome = try Self.trainOnHosts(twoHosts, ranks: 4, output: across, steps)
        #expect(outcome.status == 0, "\(outcome.output)")
        let differing = differingElements(try Self.state(across.appendingPathComponent("step-00000020.h5").path),
                                          try Self.state(plain.appendingPathComponent("step-00000020.h5").path))
        print("two network hosts, 4 ranks: \(differing) values differ from the plain 8-device process")
        #expect(differing == 0)

        // 2. Every process of host2 killed mid-run: the job ends within 30 s; 3. resume on host1 alone is bitwise.
        let long = ["phases.0.steps=200", "phases.1.steps=4", "checkpoint_every=50"]
        let straight = Self.folder("hosts-straight")
        #expect(try Self.train(ranks: nil, output: straight, long).status == 0)
        let killed = Self.folder("hosts-killed")
        var killedAt = Date.distantFuture
        let broken = try Self.trainOnHosts(twoHosts, ranks: 4, output: killed, long) { job in
            try job.waitUntil("70 metrics lines", seconds: 240) { Self.metricsLines(killed) >= 70 }
            killedAt = Date()
            _ = try? Self.sh("ip netns pids bt-host2 | xargs -r kill -9")
        }
        let afterKill = Date().timeIntervalSince(killedAt)
        print("all processes of host2 killed: mpirun exited \(broken.status) after \(String(format: "%.1f", afterKill)) s")
        #expect(broken.status != 0 && afterKill < 30)
        let resumed = try Self.trainOnHosts(["host1 slots=2"], ranks: 2, output: killed, long, resume: true)
        #expect(resumed.status == 0 && resumed.output.contains("resuming from"), "\(resumed.output)")
        #expect(try Self.state(killed.appendingPathComponent("step-00000204.h5").path) == (try Self.state(straight.appendingPathComponent("step-00000204.h5").path)),
                "resumed on the remaining host bit for bit")

        // 4. host2's link taken down mid-run: the job ends within the timeout (BERTIN_TIMEOUT=10).
        let cut = Self.folder("hosts-link")
        var cutAt = Date.distantFuture
        let unlinked = try Self.trainOnHosts(twoHosts, ranks: 4, output: cut, ["phases.0.steps=2000"]) { job in
            try job.waitUntil("20 metrics lines", seconds: 240) { Self.metricsLines(cut) >= 20 }
            cutAt = Date()
            _ = try? Self.command("/bin/bash", [Self.hostsScript, "link-down", "host2"])
        }
        let afterCut = Date().timeIntervalSince(cutAt)
        _ = try? Self.command("/bin/bash", [Self.hostsScript, "link-up", "host2"])
        print("host2's link down: mpirun exited \(unlinked.status) after \(String(format: "%.1f", afterCut)) s")
        #expect(unlinked.status != 0 && afterCut < 40, "\(unlinked.output)")
        for pid in Self.pids(named: "bertin", writing: cut) + Self.pids(named: "orted") { kill(pid, SIGKILL) }
    }
}
