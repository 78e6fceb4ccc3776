using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RoboDdpg.Fleet.Tests;

/// <summary>Brokers for the tests: the embedded one, a Mosquitto process of the test's own, and the one .ci/run starts.</summary>
internal static class Brokers
{
    /// <summary>Port of the Mosquitto that .ci/run starts (bash .ci/start-mosquitto).</summary>
    public static int CiMosquittoPort => int.TryParse(Environment.GetEnvironmentVariable("ROBODDPG_TEST_MQTT_PORT"), out var p) ? p : 18830;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static BrokerOptions Local(int port) => new() { Host = "127.0.0.1", Port = port, Timeout = TimeSpan.FromSeconds(3), KeepAlive = TimeSpan.FromSeconds(2) };

    /// <summary>The CI Mosquitto; a clear failure (not a skip) when it is not running.</summary>
    public static BrokerOptions CiMosquitto()
    {
        using var probe = new TcpClient();
        try { probe.Connect(IPAddress.Loopback, CiMosquittoPort); }
        catch (SocketException)
        {
            throw new InvalidOperationException($"no MQTT broker on 127.0.0.1:{CiMosquittoPort}: run 'bash .ci/start-mosquitto' (or filter out Category=Fleet)");
        }
        return Local(CiMosquittoPort);
    }

    public static EmbeddedBroker Embedded(int port) => EmbeddedBroker.Start(new EmbeddedBrokerOptions { BindAddress = IPAddress.Loopback, Port = port });

    /// <summary>A unique fleet name, so tests sharing one broker never see each other's messages.</summary>
    public static string UniqueFleet() => "t" + Guid.NewGuid().ToString("N")[..12];
}

/// <summary>A Mosquitto broker process of the test's own (so the test can take it down and bring it back).</summary>
internal sealed class MosquittoProcess : IDisposable
{
    private readonly string _config;
    private Process? _process;

    public MosquittoProcess(int port, string directory)
    {
        Port = port;
        _config = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllText(_config, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n");
        Start();
    }

    public int Port { get; }

    public static string Binary => File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";

    public void Start()
    {
        var info = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(_config);
        try { _process = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start mosquitto ({e.Message}): install it (apt-get install mosquitto) or filter out Category=Fleet");
        }
        _process.StandardError.ReadToEndAsync();
        _process.StandardOutput.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var probe = new TcpClient();
            try { probe.Connect(IPAddress.Loopback, Port); return; }
            catch (SocketException) { Thread.Sleep(50); }
        }
        throw new InvalidOperationException($"mosquitto did not listen on {Port}");
    }

    /// <summary>Takes the broker down hard (as a crash or a pulled cable would).</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();
}
