using System.Text;

namespace Vireo.Api.Fuzz;

/// <summary>One seed: its file name in the corpus, its bytes, the statuses its answers must have
/// and the calls that must reach the VM.</summary>
public sealed record HttpSeed(string Name, byte[] Bytes, int[] Statuses, string[] Calls);

/// <summary>
/// Starting points for <see cref="HttpTarget"/>: every endpoint of the API (openapi.json) with a
/// valid request, a chunked body, Expect: 100-continue, pipelined requests on one connection,
/// requests split into small reads, HTTP/1.0, and a few the server must refuse (an unknown
/// path, a wrong method, a bad body, an oversize head) so afl sees those paths too.
/// </summary>
public static class HttpSeeds
{
    private const string Api = "/api/v1";

    public static IEnumerable<HttpSeed> All()
    {
        yield return Seed("get-ping.bin", [200], [], Get("vmm.ping"));
        yield return Seed("get-openapi.bin", [200], [], Get("openapi"));
        yield return Seed("get-info.bin", [200], ["info"], Get("vm.info"));
        yield return Seed("get-events.bin", [200], [], Get("vm.events"));
        yield return Seed("put-power-button.bin", [204], ["power-button"], Put("vm.power-button"));
        yield return Seed("put-shutdown.bin", [204], ["shutdown"], Put("vm.shutdown"));
        yield return Seed("put-shutdown-force.bin", [204], ["shutdown force"], Put("vm.shutdown", """{"force": true}"""));
        yield return Seed("put-pause.bin", [204], ["pause"], Put("vm.pause"));
        yield return Seed("put-resume.bin", [204], ["resume"], Put("vm.resume"));
        yield return Seed("put-gpe.bin", [204], ["gpe 3"], Put("vm.gpe", """{"gpe": 3}"""));
        yield return Seed("put-sdei.bin", [204], ["sdei 0 cpu 1"], Put("vm.sdei", """{"event": 0, "cpu": 1}"""));
        yield return Seed("refused-sdei-cpu.bin", [400], [], Put("vm.sdei", """{"event": 0, "cpu": -1}"""));
        yield return Seed("put-snapshot.bin", [204], ["snapshot /tmp/snap"], Put("vm.snapshot", """{"path": "/tmp/snap"}"""));
        yield return Seed("refused-snapshot-relative.bin", [400], [], Put("vm.snapshot", """{"path": "snap"}"""));
        yield return Seed("put-wake.bin", [204], ["wake"], Put("vm.wake"));
        yield return Seed("put-wake-delay.bin", [204], ["wake 500ms"], Put("vm.wake", """{"delay_ms": 500}"""));
        yield return Seed("put-device-power.bin", [204], ["device-power edu on"], Put("vm.device-power", """{"id": "edu", "low_power": true}"""));
        yield return Seed("put-gpe-chunked.bin", [204], ["gpe 7"],
            $"PUT {Api}/vm.gpe HTTP/1.1\r\nHost: vireo\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"gpe\r\n5;ext=1\r\n\": 7}}\r\n0\r\nTrailer: x\r\n\r\n");
        yield return Seed("put-gpe-expect-continue.bin", [204], ["gpe 2"],
            $"PUT {Api}/vm.gpe HTTP/1.1\r\nHost: vireo\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n{{\"gpe\": 2}}");
        yield return Seed("pipelined.bin", [200, 200, 204, 204], ["info", "pause", "resume"],
            Get("vmm.ping", keepAlive: true) + Get("vm.info", keepAlive: true) + Put("vm.pause", keepAlive: true) + "\r\n" + Put("vm.resume"));
        yield return Seed("pipelined-split-reads.bin", [200, 204], ["info", "gpe 1"],
            Get("vm.info", keepAlive: true) + Put("vm.gpe", """{"gpe": 1}"""), maxRead: 3);
        yield return Seed("http10-info.bin", [200], ["info"], $"GET {Api}/vm.info HTTP/1.0\r\n\r\n");
        yield return Seed("http10-events.bin", [200], [], $"GET {Api}/vm.events HTTP/1.0\r\n\r\n", maxRead: 9);
        // Refusals: afl starts from each of these branches too.
        yield return Seed("refused-not-found.bin", [404], [], Get("vm.nothing"));
        yield return Seed("refused-method.bin", [405], [], Put("vm.info"));
        yield return Seed("refused-gpe-range.bin", [400], [], Put("vm.gpe", """{"gpe": 300}"""));
        yield return Seed("refused-unknown-device.bin", [400], [], Put("vm.device-power", """{"id": "nic", "low_power": false}"""));
        yield return Seed("refused-bad-json.bin", [400], [], Put("vm.wake", """{"delay_ms": 1.5, "x": [}"""));
        yield return Seed("refused-body-too-large.bin", [413], [],
            $"PUT {Api}/vm.gpe HTTP/1.1\r\nHost: vireo\r\nContent-Length: 5000\r\n\r\n" + new string(' ', 5000));
        yield return Seed("refused-oversize-headers.bin", [431], [],
            $"GET {Api}/vmm.ping HTTP/1.1\r\nHost: vireo\r\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"X-Filler-{i}: {new string('a', 80)}\r\n")) + "\r\n");
        yield return Seed("refused-no-host.bin", [400], [], $"GET {Api}/vmm.ping HTTP/1.1\r\n\r\n");
    }

    private static HttpSeed Seed(string name, int[] statuses, string[] calls, string request, byte maxRead = 0) =>
        new(name, [maxRead, .. Encoding.Latin1.GetBytes(request)], statuses, calls);

    private static string Get(string endpoint, bool keepAlive = false) =>
        $"GET {Api}/{endpoint} HTTP/1.1\r\nHost: vireo\r\nAccept: application/json\r\n{(keepAlive ? "" : "Connection: close\r\n")}\r\n";

    private static string Put(string endpoint, string? body = null, bool keepAlive = false) =>
        $"PUT {Api}/{endpoint} HTTP/1.1\r\nHost: vireo\r\n{(keepAlive ? "" : "Connection: close\r\n")}"
        + (body is null ? "Content-Length: 0\r\n\r\n" : $"Content-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}");
}
