using System.Text.Json;

namespace RoboDdpg.Cli.Tests;

/// <summary>A small motor-pendulum policy, trained once for the tests that need one (the result does not matter).</summary>
public sealed class MotorPendulumPolicyFixture : IDisposable
{
    private readonly TempDirectory _dir = new();

    public MotorPendulumPolicyFixture()
    {
        var run = Path.Combine(_dir.Path, "run");
        var train = Cli.Run("train", "--env", "motor-pendulum", "--steps", "300", "--warmup", "100", "--hidden", "16,16", "--batch-size", "32",
            "--eval-interval", "300", "--eval-episodes", "1", "--out", run, "--no-progress");
        if (train.ExitCode != 0) throw new InvalidOperationException($"training the test policy failed: {train.Stderr} {train.Stdout}");
        PolicyPath = Path.Combine(run, "policy.rdpolicy");
    }

    public string PolicyPath { get; }

    public void Dispose() => _dir.Dispose();
}

/// <summary><c>eval --perturb</c>, <c>trace</c>, <c>fit</c>, <c>twin-check --params</c> and <c>run --record-trace</c> as a user runs them.</summary>
public sealed class PerturbTraceFitCommandTests(MotorPendulumPolicyFixture fixture) : IClassFixture<MotorPendulumPolicyFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string PathOf(string name) => Path.Combine(_dir.Path, name);

    private static void AssertOk(Cli.Result result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr} {result.Stdout}");

    private static string AssertBadInput(Cli.Result result)
    {
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("roboddpg: ", line);
        Assert.DoesNotContain("   at ", result.Stderr);
        return line;
    }

    [Fact]
    public void Trace_of_a_perturbed_twin_then_fit_recovers_it_and_twin_check_accepts_the_fitted_file()
    {
        var plant = PathOf("plant.json");
        File.WriteAllText(plant, """{ "arm_mass": 0.23, "arm_length": 0.18, "torque_constant": 0.017, "back_emf_constant": 0.017, "coulomb_friction": 0.015, "viscous_friction": 0.0015 }""");
        var trace = PathOf("plant.csv");
        var recorded = Cli.Run("trace", "--env", "motor-pendulum", "--params", plant, "--steps", "600", "--episode-steps", "150", "--seed", "3", "--out", trace);
        AssertOk(recorded);
        Assert.Contains("4 cases, 600 steps", recorded.Stdout);
        Assert.Equal("case,step,th0,thdot0,i0,action,cos,sin,thdot,reward", File.ReadLines(trace).First());
        Assert.Equal(601, File.ReadAllLines(trace).Length);

        var own = Cli.Run("twin-check", "--env", "motor-pendulum", "--params", plant, "--trace", trace);
        AssertOk(own);
        Assert.Equal(0.0, JsonDocument.Parse(own.Stdout).RootElement.GetProperty("max_abs_error").GetDouble());
        Assert.Equal(1, Cli.Run("twin-check", "--env", "motor-pendulum", "--trace", trace).ExitCode); // the defaults do not fit

        var fitted = PathOf("fitted.json");
        var fit = Cli.Run("fit", "--env", "motor-pendulum", "--trace", trace, "--out", fitted, "--json");
        AssertOk(fit);
        using var json = JsonDocument.Parse(fit.Stdout);
        var r = json.RootElement;
        var before = r.GetProperty("twin_check_before").GetProperty("max_abs_error").GetDouble();
        var after = r.GetProperty("twin_check_after").GetProperty("max_abs_error").GetDouble();
        Assert.True(before >= 5 * after, $"twin-check error {before} -> {after}");
        Assert.Equal(["mass", "length", "kt", "viscous", "coulomb"], r.GetProperty("fit").EnumerateArray().Select(e => e.GetString()));
        var values = r.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("fitted").GetDouble());
        Assert.Equal(0.23, values["arm_mass"], 3);
        Assert.Equal(0.18, values["arm_length"], 3);
        Assert.Equal(0.017, values["torque_constant"], 4);

        using var file = JsonDocument.Parse(File.ReadAllText(fitted));
        Assert.Equal(values["arm_mass"], file.RootElement.GetProperty("arm_mass").GetDouble());
        Assert.Equal(2.0, file.RootElement.GetProperty("resistance").GetDouble()); // held at the nameplate value
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*.tmp"));
        AssertOk(Cli.Run("twin-check", "--env", "motor-pendulum", "--params", fitted, "--trace", trace));

        var text = Cli.Run("fit", "--trace", trace, "--out", fitted, "--fit", "mass,length");
        AssertOk(text);
        Assert.Contains("arm_mass", text.Stdout);
        Assert.Contains("twin-check max abs error:", text.Stdout);
        Assert.Contains("× smaller", text.Stdout);
    }

    [Fact]
    public void Bad_fit_and_trace_input_gives_one_line_and_exit_2()
    {
        var trace = PathOf("t.csv");
        AssertOk(Cli.Run("trace", "--steps", "20", "--out", trace));
        Assert.Contains("missing.csv: file not found", AssertBadInput(Cli.Run("fit", "--trace", PathOf("missing.csv"), "--out", PathOf("f.json"))));
        Assert.Contains("--fit: unknown parameter 'weight'", AssertBadInput(Cli.Run("fit", "--trace", trace, "--out", PathOf("f.json"), "--fit", "mass,weight")));
        Assert.Contains("fit estimates motor-pendulum parameters, not 'pendulum'", AssertBadInput(Cli.Run("fit", "--env", "pendulum", "--trace", trace, "--out", PathOf("f.json"))));
        Assert.Contains("does not exist", AssertBadInput(Cli.Run("fit", "--trace", trace, "--out", PathOf("no/such/f.json"))));
        Assert.Contains("missing column 'i0'", AssertBadInput(Cli.Run("fit", "--trace", ReferenceTrace.Path, "--out", PathOf("f.json"))));
        Assert.Contains("--out", AssertBadInput(Cli.Run("trace", "--out", PathOf("no/such/t.csv"))));
        File.WriteAllText(PathOf("p.json"), "{}");
        Assert.Contains("takes no parameter or randomization file", AssertBadInput(Cli.Run("trace", "--env", "pendulum", "--params", PathOf("p.json"), "--out", trace)));
        Assert.False(File.Exists(PathOf("f.json")));
    }

    [Fact]
    public void Eval_perturb_grid_reports_every_plant_and_writes_csv_and_heatmap()
    {
        var output = PathOf("perturb");
        var result = Cli.Run("eval", "--policy", fixture.PolicyPath, "--env", "motor-pendulum", "--episodes", "2",
            "--perturb", "kt=1.0,latency=0..1,mass=0.8..1.2", "--grid", "2", "--out", output, "--json");
        AssertOk(result);
        using var json = JsonDocument.Parse(result.Stdout);
        var r = json.RootElement;
        Assert.Equal(4, r.GetProperty("plants").GetInt32());
        Assert.Equal("grid", r.GetProperty("mode").GetString());
        var plants = r.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal([0.0, 0.0, 1.0, 1.0], plants.Select(p => p.GetProperty("values").GetProperty("latency").GetDouble()));
        Assert.Equal([0.8, 1.2, 0.8, 1.2], plants.Select(p => p.GetProperty("values").GetProperty("mass").GetDouble()));
        var nominal = r.GetProperty("nominal_mean_return").GetDouble();
        var means = plants.Select(p => p.GetProperty("mean_return").GetDouble()).ToArray();
        Assert.Equal(means.Min(), r.GetProperty("worst").GetProperty("mean_return").GetDouble());
        var changes = means.Select(m => (m - nominal) / Math.Abs(nominal) * 100).ToArray();
        Assert.Equal(-changes.Average(), r.GetProperty("mean_loss_pct").GetDouble(), 9);

        var csv = File.ReadAllLines(Path.Combine(output, "perturbation.csv"));
        Assert.Equal("plant,kt_factor,latency_added,mass_factor,torque_constant,back_emf_constant,latency_ticks,arm_mass,rod_mass,mean_return,std_return,change_pct", csv[0]);
        Assert.Equal(6, csv.Length); // header, nominal, 4 plants
        Assert.StartsWith("nominal,1,0,1,0.02,0.02,0,0.2,0,", csv[1]);
        Assert.StartsWith("1,1,0,0.8,0.02,0.02,0,0.16000000000000003,0,", csv[2]);
        var png = File.ReadAllBytes(Path.Combine(output, "perturbation-heatmap.png"));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
        Assert.Equal(Path.Combine(output, "perturbation-heatmap.png"), r.GetProperty("heatmap").GetString());

        // The same grid as a table: a kt factor of 1 changes nothing, so the first plant equals the nominal plant.
        var csvPath = PathOf("table.csv");
        var table = Cli.Run("eval", "--policy", fixture.PolicyPath, "--env", "motor-pendulum", "--episodes", "2",
            "--perturb", "kt=1.0,latency=0..1", "--out", output, "--csv", csvPath);
        AssertOk(table);
        Assert.Contains("nominal return", table.Stdout);
        Assert.Contains("worst case: kt ×1, latency +", table.Stdout);
        Assert.Contains("mean loss over 2 plants", table.Stdout);
        var rows = File.ReadAllLines(csvPath);
        Assert.Equal(rows[1].Split(',')[^3], rows[2].Split(',')[^3]); // mean_return of plant 1 (×1, +0) = nominal, exactly
        Assert.Equal("0", rows[2].Split(',')[^1]);
        Assert.NotEqual(rows[1].Split(',')[^3], rows[3].Split(',')[^3]); // one tick of latency changes the return
    }

    [Fact]
    public void Eval_perturb_samples_are_seeded()
    {
        string[] Args(string seed) => ["eval", "--policy", fixture.PolicyPath, "--env", "motor-pendulum", "--episodes", "1",
            "--perturb", "mass=0.7..1.3,length=0.9..1.1", "--samples", "3", "--perturb-seed", seed, "--out", PathOf("s" + seed), "--json"];
        double[] Masses(Cli.Result r) => JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray()
            .Select(p => p.GetProperty("values").GetProperty("mass").GetDouble()).ToArray();
        var a = Cli.Run(Args("4"));
        AssertOk(a);
        Assert.Equal("samples", JsonDocument.Parse(a.Stdout).RootElement.GetProperty("mode").GetString());
        Assert.All(Masses(a), m => Assert.InRange(m, 0.7, 1.3));
        Assert.Equal(Masses(a), Masses(Cli.Run(Args("4"))));
        Assert.NotEqual(Masses(a), Masses(Cli.Run(Args("5"))));
    }

    [Theory]
    [InlineData("--perturb", "mass=0.8..x", "--perturb: 'mass=0.8..x': 'x' is not a number")]
    [InlineData("--perturb", "mass=0.8..1.2,weight=2", "--perturb: 'weight=2': unknown name 'weight'")]
    [InlineData("--perturb", "latency=-1", "--perturb: plant latency -1 is invalid: latency_ticks must be in [0, 1000] (got -1)")]
    [InlineData("--grid", "2", "--grid needs --perturb SPEC")]
    [InlineData("--heatmap-axes", "mass", "--heatmap-axes needs --perturb SPEC")]
    [InlineData("--csv", "x.csv", "--csv needs --perturb SPEC")]
    public void Bad_perturbation_input_gives_one_line_and_exit_2(string option, string value, string expected)
    {
        string[] output = option == "--perturb" ? ["--out", PathOf("x")] : [];
        var line = AssertBadInput(Cli.Run(["eval", "--policy", fixture.PolicyPath, "--env", "motor-pendulum", option, value, .. output]));
        Assert.Contains(expected, line);
    }

    [Fact]
    public void Heatmap_axes_and_environment_are_checked()
    {
        string[] Base(params string[] extra) => ["eval", "--policy", fixture.PolicyPath, "--env", "motor-pendulum", "--perturb", "mass=0.8..1.2", "--out", PathOf("x"), .. extra];
        Assert.Contains("--heatmap-axes: 'kt' is not an axis of --perturb (axes: mass)", AssertBadInput(Cli.Run(Base("--heatmap-axes", "kt"))));
        Assert.Contains("--heatmap-axes 'mass,mass': name two different axes", AssertBadInput(Cli.Run(Base("--heatmap-axes", "mass,mass"))));
        Assert.Contains("policy was trained on 'motor-pendulum', not 'pendulum'", AssertBadInput(Cli.Run(
            "eval", "--policy", fixture.PolicyPath, "--env", "pendulum", "--perturb", "mass=0.9")));
    }

    [Fact]
    public void Run_record_trace_records_what_twin_check_replays_exactly()
    {
        var trace = PathOf("run.csv");
        var run = Cli.Run("run", "--env", "motor-pendulum", "--policy", fixture.PolicyPath, "--hz", "400", "--seconds", "2",
            "--record-trace", trace, "--out", PathOf("run"), "--no-progress");
        AssertOk(run);
        Assert.Contains($"wrote {trace}", run.Stdout.ReplaceLineEndings(" "));
        var check = Cli.Run("twin-check", "--env", "motor-pendulum", "--trace", trace);
        AssertOk(check);
        using var json = JsonDocument.Parse(check.Stdout);
        Assert.True(json.RootElement.GetProperty("steps").GetInt32() >= 100);
        Assert.Equal(0.0, json.RootElement.GetProperty("max_abs_error").GetDouble());

        Assert.Contains("--record-trace", AssertBadInput(Cli.Run("run", "--env", "motor-pendulum", "--policy", fixture.PolicyPath, "--seconds", "1",
            "--record-trace", PathOf("no/such/run.csv"), "--out", PathOf("run2"), "--no-progress")));
    }

    [Fact]
    public void Ctrl_c_keeps_the_recorded_trace()
    {
        var trace = PathOf("interrupted.csv");
        using var process = Cli.Start("run", "--env", "motor-pendulum", "--policy", fixture.PolicyPath, "--hz", "400",
            "--record-trace", trace, "--out", PathOf("run"), "--no-progress");
        Signals.WaitForLine(process, "roboddpg run");
        Thread.Sleep(1500);
        Signals.Send(process, "INT");
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "run did not stop after SIGINT");
        Assert.Equal(130, process.ExitCode);

        var check = Cli.Run("twin-check", "--env", "motor-pendulum", "--trace", trace);
        AssertOk(check);
        using var json = JsonDocument.Parse(check.Stdout);
        Assert.True(json.RootElement.GetProperty("steps").GetInt32() > 0);
        Assert.Equal(0.0, json.RootElement.GetProperty("max_abs_error").GetDouble());
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*.tmp"));
    }
}
