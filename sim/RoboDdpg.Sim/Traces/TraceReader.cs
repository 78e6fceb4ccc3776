using System.Globalization;

namespace RoboDdpg.Sim.Traces;

/// <summary>
/// Reads reference traces: plain CSV, one header line, columns found by name (order-free, extra columns
/// ignored), one row per step. Every problem becomes a <see cref="TraceFormatException"/> naming file and line.
/// </summary>
public static class TraceReader
{
    private const int MaxQuotedLength = 40;

    public static Trace Read(string path, TraceSchema schema)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(schema);

        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TraceFormatException(path, null, "file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TraceFormatException(path, null, $"cannot read file ({e.Message})", e);
        }

        var headerIndex = Array.FindIndex(lines, l => !string.IsNullOrWhiteSpace(l));
        if (headerIndex < 0)
            throw new TraceFormatException(path, null, "file is empty");

        var columns = ReadHeader(path, lines[headerIndex], headerIndex + 1, schema);
        var cases = new Dictionary<int, CaseBuilder>();
        var caseOrder = new List<CaseBuilder>();

        for (var i = headerIndex + 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var row = new Row(path, i + 1, lines[i].Split(','), columns);
            var caseId = row.Int(TraceSchema.CaseColumn);
            var step = row.Int(TraceSchema.StepColumn);
            if (step < 0)
                throw row.Error($"column '{TraceSchema.StepColumn}' is negative {Quote(row.Raw(TraceSchema.StepColumn))}");

            var state = row.Doubles(schema.StateColumns);
            var traceStep = new TraceStep(
                step,
                row.Line,
                row.Floats(schema.ActionColumns),
                row.Doubles(schema.OutputColumns),
                row.Double(TraceSchema.RewardColumn));

            if (!cases.TryGetValue(caseId, out var builder))
            {
                builder = new CaseBuilder(caseId, state, row.Line);
                cases.Add(caseId, builder);
                caseOrder.Add(builder);
            }
            else
            {
                builder.CheckSameState(row, schema.StateColumns, state);
            }
            builder.Steps.Add(traceStep);
        }

        if (caseOrder.Count == 0)
            throw new TraceFormatException(path, null, "no data rows after the header");

        return new Trace(path, schema, caseOrder.Select(b => b.Build(path)).ToArray());
    }

    private static Header ReadHeader(string path, string header, int line, TraceSchema schema)
    {
        var names = header.Split(',');
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            var name = names[i].Trim();
            if (!columns.TryAdd(name, i))
                throw new TraceFormatException(path, line, $"duplicate column '{name}'");
        }
        foreach (var required in schema.RequiredColumns)
        {
            if (!columns.ContainsKey(required))
                throw new TraceFormatException(path, line, $"missing column '{required}'");
        }
        return new Header(columns, names.Length);
    }

    private static string Quote(string value) =>
        value.Length <= MaxQuotedLength ? $"('{value}')" : $"('{value[..MaxQuotedLength]}...')";

    private static string FormatValue(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private sealed record Header(Dictionary<string, int> Columns, int FieldCount);

    private readonly struct Row
    {
        private readonly string _path;
        private readonly string[] _fields;
        private readonly Dictionary<string, int> _columns;

        public Row(string path, int line, string[] fields, Header header)
        {
            _path = path;
            Line = line;
            _fields = fields;
            _columns = header.Columns;
            if (fields.Length != header.FieldCount)
                throw Error($"expected {header.FieldCount} fields, found {fields.Length}");
        }

        public int Line { get; }

        public string Raw(string column) => _fields[_columns[column]].Trim();

        public TraceFormatException Error(string reason) => new(_path, Line, reason);

        public int Int(string column)
        {
            var raw = Raw(column);
            if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                throw Error($"column '{column}' is not an integer {Quote(raw)}");
            return value;
        }

        public double Double(string column)
        {
            var raw = Raw(column);
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw Error($"column '{column}' is not a number {Quote(raw)}");
            if (!double.IsFinite(value))
                throw Error($"column '{column}' is not finite {Quote(raw)}");
            return value;
        }

        // Actions were float32 in the recording; parsing straight to float gives that exact value back.
        public float Float(string column)
        {
            var raw = Raw(column);
            if (!float.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw Error($"column '{column}' is not a number {Quote(raw)}");
            if (!float.IsFinite(value))
                throw Error($"column '{column}' is not a finite float32 {Quote(raw)}");
            return value;
        }

        public double[] Doubles(IReadOnlyList<string> columns)
        {
            var values = new double[columns.Count];
            for (var i = 0; i < values.Length; i++) values[i] = Double(columns[i]);
            return values;
        }

        public float[] Floats(IReadOnlyList<string> columns)
        {
            var values = new float[columns.Count];
            for (var i = 0; i < values.Length; i++) values[i] = Float(columns[i]);
            return values;
        }
    }

    private sealed class CaseBuilder(int id, double[] initialState, int firstLine)
    {
        public List<TraceStep> Steps { get; } = [];

        // Every row repeats the case's start state; a row that disagrees means the file was spliced wrongly.
        public void CheckSameState(Row row, IReadOnlyList<string> stateColumns, double[] state)
        {
            for (var i = 0; i < state.Length; i++)
            {
                if (state[i] != initialState[i])
                {
                    throw row.Error(
                        $"column '{stateColumns[i]}' of case {id} is {FormatValue(state[i])} here but {FormatValue(initialState[i])} on line {firstLine}");
                }
            }
        }

        public TraceCase Build(string path)
        {
            // Rows may come in any order; replay applies them by step, which must run 0, 1, 2, ... without gaps.
            var ordered = Steps.OrderBy(s => s.Step).ThenBy(s => s.Line).ToArray();
            for (var i = 0; i < ordered.Length; i++)
            {
                var s = ordered[i];
                if (s.Step == i) continue;
                if (s.Step < i)
                {
                    var first = ordered[i - 1];
                    throw new TraceFormatException(path, s.Line, $"case {id} repeats step {s.Step} (first on line {first.Line})");
                }
                throw new TraceFormatException(path, s.Line, $"case {id} has step {s.Step} but no step {i}");
            }
            return new TraceCase(id, initialState, ordered);
        }
    }
}
