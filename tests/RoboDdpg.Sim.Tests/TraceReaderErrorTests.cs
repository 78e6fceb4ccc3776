using RoboDdpg.Sim.Pendulum;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.Tests;

public sealed class TraceReaderErrorTests : IDisposable
{
    private const string Header = "case,step,th0,thdot0,action,cos,sin,thdot,reward";
    private const string Row0 = "0,0,-2.2973572091724623,0.6948674738744653,1.582647681236267,-0.6502986746889163,-0.7596786384372269,0.37166705044323867,-5.3286390008444755";
    private const string Row1 = "0,1,-2.2973572091724623,0.6948674738744653,-1.46958589553833,-0.6660525387795044,-0.745904830112647,-0.4185298127154311,-5.208783612095766";
    private const string Row2 = "0,2,-2.2973572091724623,0.6948674738744653,-0.02738947793841362,-0.7018614315399642,-0.7123135060608301,-0.9820668569906784,-5.306139157904342";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private TraceFormatException Fail(string content, out string path)
    {
        path = _temp.Write("trace.csv", content);
        var file = path;
        var ex = Assert.Throws<TraceFormatException>(() => TraceReader.Read(file, PendulumEnvironment.Schema));
        Assert.DoesNotContain('\n', ex.Message);
        Assert.DoesNotContain('\r', ex.Message);
        Assert.Equal(file, ex.FilePath);
        return ex;
    }

    private static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    [Fact]
    public void Valid_three_rows_parse()
    {
        var path = _temp.Write("trace.csv", Lines(Header, Row0, Row1, Row2));
        var trace = TraceReader.Read(path, PendulumEnvironment.Schema);
        Assert.Single(trace.Cases);
        Assert.Equal(3, trace.StepCount);
        // The three rows are a prefix of the reference trace, so the twin reproduces them.
        Assert.True(TwinCheck.Run(path).MaxAbsError <= 1e-12);
    }

    [Fact]
    public void Crlf_line_endings_and_trailing_blank_lines_are_accepted()
    {
        var path = _temp.Write("trace.csv", Header + "\r\n" + Row0 + "\r\n\r\n");
        Assert.Equal(1, TraceReader.Read(path, PendulumEnvironment.Schema).StepCount);
    }

    [Fact]
    public void Missing_file()
    {
        var path = Path.Combine(_temp.Path, "nope.csv");
        var ex = Assert.Throws<TraceFormatException>(() => TwinCheck.Run(path));
        Assert.Equal($"{path}: file not found", ex.Message);
        Assert.Null(ex.Line);
    }

    [Fact]
    public void Missing_directory_is_also_not_found()
    {
        var path = Path.Combine(_temp.Path, "no-such-dir", "trace.csv");
        var ex = Assert.Throws<TraceFormatException>(() => TwinCheck.Run(path));
        Assert.Equal($"{path}: file not found", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \n")]
    public void Empty_file(string content)
    {
        var ex = Fail(content, out var path);
        Assert.Equal($"{path}: file is empty", ex.Message);
    }

    [Fact]
    public void Header_without_rows()
    {
        var ex = Fail(Lines(Header), out var path);
        Assert.Equal($"{path}: no data rows after the header", ex.Message);
    }

    [Fact]
    public void Missing_column()
    {
        var ex = Fail(Lines("case,step,th0,thdot0,action,cos,sin,reward", "0,0,1,0,0,1,0,0"), out var path);
        Assert.Equal($"{path}:1: missing column 'thdot'", ex.Message);
        Assert.Equal(1, ex.Line);
        Assert.Equal("missing column 'thdot'", ex.Reason);
    }

    [Fact]
    public void Duplicate_column()
    {
        var ex = Fail(Lines(Header + ",cos", Row0 + ",1"), out var path);
        Assert.Equal($"{path}:1: duplicate column 'cos'", ex.Message);
    }

    [Fact]
    public void Action_is_not_a_number()
    {
        var bad = Row2.Replace("-0.02738947793841362", "abc", StringComparison.Ordinal);
        var ex = Fail(Lines(Header, Row0, Row1, bad), out var path);
        Assert.Equal($"{path}:4: column 'action' is not a number ('abc')", ex.Message);
        Assert.Equal(4, ex.Line);
    }

    [Fact]
    public void State_is_not_a_number()
    {
        var ex = Fail(Lines(Header, "0,0,1.5.2,0,0,1,0,0,0"), out var path);
        Assert.Equal($"{path}:2: column 'th0' is not a number ('1.5.2')", ex.Message);
    }

    [Fact]
    public void Incomplete_exponent_is_not_a_number()
    {
        var ex = Fail(Lines(Header, "0,0,1,0,0,1,0,0,1e"), out var path);
        Assert.Equal($"{path}:2: column 'reward' is not a number ('1e')", ex.Message);
    }

    [Fact]
    public void Empty_field_is_not_a_number()
    {
        var ex = Fail(Lines(Header, "0,0,1,0,0,1,,0,0"), out var path);
        Assert.Equal($"{path}:2: column 'sin' is not a number ('')", ex.Message);
    }

    [Fact]
    public void Non_finite_value()
    {
        var ex = Fail(Lines(Header, "0,0,1,0,0,1,0,NaN,0"), out var path);
        Assert.Equal($"{path}:2: column 'thdot' is not finite ('NaN')", ex.Message);
    }

    [Fact]
    public void Action_out_of_float32_range()
    {
        var ex = Fail(Lines(Header, "0,0,1,0,1e40,1,0,0,0"), out var path);
        Assert.Equal($"{path}:2: column 'action' is not a finite float32 ('1e40')", ex.Message);
    }

    [Fact]
    public void Step_is_not_an_integer()
    {
        var ex = Fail(Lines(Header, "0,1.5,1,0,0,1,0,0,0"), out var path);
        Assert.Equal($"{path}:2: column 'step' is not an integer ('1.5')", ex.Message);
    }

    [Fact]
    public void Negative_step()
    {
        var ex = Fail(Lines(Header, "0,-1,1,0,0,1,0,0,0"), out var path);
        Assert.Equal($"{path}:2: column 'step' is negative ('-1')", ex.Message);
    }

    [Fact]
    public void Wrong_field_count()
    {
        var ex = Fail(Lines(Header, Row0, "0,1,2,3"), out var path);
        Assert.Equal($"{path}:3: expected 9 fields, found 4", ex.Message);
    }

    [Fact]
    public void Long_values_are_shortened_in_the_message()
    {
        var longValue = new string('x', 100);
        var ex = Fail(Lines(Header, $"0,0,1,0,{longValue},1,0,0,0"), out var path);
        Assert.Equal($"{path}:2: column 'action' is not a number ('{new string('x', 40)}...')", ex.Message);
    }

    [Fact]
    public void Missing_step_in_a_case()
    {
        var ex = Fail(Lines(Header, Row0, Row2), out var path);
        Assert.Equal($"{path}:3: case 0 has step 2 but no step 1", ex.Message);
    }

    [Fact]
    public void Repeated_step_in_a_case()
    {
        var ex = Fail(Lines(Header, Row0, Row1, Row1), out var path);
        Assert.Equal($"{path}:4: case 0 repeats step 1 (first on line 3)", ex.Message);
    }

    [Fact]
    public void Initial_state_changes_within_a_case()
    {
        var bad = Row1.Replace("0,1,-2.2973572091724623,", "0,1,-2.5,", StringComparison.Ordinal);
        var ex = Fail(Lines(Header, Row0, bad), out var path);
        Assert.Equal($"{path}:3: column 'th0' of case 0 is -2.5 here but -2.2973572091724623 on line 2", ex.Message);
    }

    [Fact]
    public void Relative_path_is_reported_as_given()
    {
        var ex = Assert.Throws<TraceFormatException>(() => TraceReader.Read("trace-that-does-not-exist.csv", PendulumEnvironment.Schema));
        Assert.Equal("trace-that-does-not-exist.csv: file not found", ex.Message);
    }
}
