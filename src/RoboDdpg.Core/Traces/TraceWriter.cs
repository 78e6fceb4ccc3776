using System.Globalization;
using System.Text;

namespace RoboDdpg.Core.Traces;

/// <summary>
/// Writes a trace in the CSV shape twin-check and fitting read: a header <c>case,step,&lt;state&gt;,&lt;action&gt;,&lt;outputs&gt;,reward</c>,
/// then one row per step, the case's start state repeated on each of its rows. Numbers use the shortest text that
/// parses back to the same float64 (actions: float32), so a written trace reads back exactly.
/// </summary>
/// <remarks>
/// <para>Atomic: rows go to a temporary file beside the target, which <see cref="Complete"/> (or
/// <see cref="Dispose"/>) flushes to disk and renames into place, so a reader never sees a half-written trace and a
/// stop by Ctrl+C keeps every row recorded so far. (A killed process leaves only the temporary file.)</para>
/// <para>Per step nothing is allocated: numbers are formatted into a reusable buffer and handed to a 64 KiB
/// buffered stream, which reaches the OS every few hundred rows; one writer serves one thread.</para>
/// </remarks>
public sealed class TraceWriter : IDisposable
{
    private const int CharsPerNumber = 32; // "R" of a double is at most 24 characters; a separator and slack
    private readonly string _temporaryPath;
    private readonly StreamWriter _writer;
    private readonly char[] _stateText;
    private readonly char[] _row;
    private int _stateTextLength;
    private int _case = -1;
    private int _step;
    private bool _completed;

    /// <summary>Creates the temporary file and writes the header.</summary>
    /// <exception cref="IOException">The folder does not exist or is not writable.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public TraceWriter(string path, TraceSchema schema)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(schema);
        foreach (var column in schema.RequiredColumns)
        {
            if (column.Length == 0 || column.AsSpan().IndexOfAny(",\r\n") >= 0)
                throw new ArgumentException($"trace column name '{column}' is empty or holds a comma or line break", nameof(schema));
        }
        Path = System.IO.Path.GetFullPath(path);
        Schema = schema;
        var directory = System.IO.Path.GetDirectoryName(Path) ?? ".";
        _temporaryPath = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var stream = new FileStream(_temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        _writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        _writer.WriteLine(string.Join(',', schema.RequiredColumns));
        _stateText = new char[schema.StateColumns.Count * CharsPerNumber];
        _row = new char[(3 + schema.StateColumns.Count + schema.ActionColumns.Count + schema.OutputColumns.Count) * CharsPerNumber];
    }

    /// <summary>Full path of the trace file (it appears there on <see cref="Complete"/>).</summary>
    public string Path { get; }

    public TraceSchema Schema { get; }

    /// <summary>Cases begun so far.</summary>
    public int Cases => _case + 1;

    /// <summary>Rows written so far.</summary>
    public long Steps { get; private set; }

    public bool IsCompleted => _completed;

    /// <summary>Starts the next case (ids 0, 1, 2, …) from <paramref name="initialState"/> (<see cref="TraceSchema.StateColumns"/> order).</summary>
    public void BeginCase(ReadOnlySpan<double> initialState)
    {
        ThrowIfCompleted();
        if (initialState.Length != Schema.StateColumns.Count)
            throw new ArgumentException($"state has {initialState.Length} entries, the trace has {Schema.StateColumns.Count} state columns", nameof(initialState));
        var at = 0;
        foreach (var value in initialState)
        {
            _stateText[at++] = ',';
            at += Format(value, _stateText.AsSpan(at));
        }
        _stateTextLength = at;
        _case++;
        _step = 0;
    }

    /// <summary>Writes one row of the current case: the action applied, the outputs after the step, the reward.</summary>
    public void WriteStep(ReadOnlySpan<float> action, ReadOnlySpan<double> outputs, double reward)
    {
        ThrowIfCompleted();
        if (_case < 0) throw new InvalidOperationException("BeginCase must be called before the first step");
        if (action.Length != Schema.ActionColumns.Count)
            throw new ArgumentException($"action has {action.Length} entries, the trace has {Schema.ActionColumns.Count} action columns", nameof(action));
        if (outputs.Length != Schema.OutputColumns.Count)
            throw new ArgumentException($"outputs has {outputs.Length} entries, the trace has {Schema.OutputColumns.Count} output columns", nameof(outputs));

        var row = _row.AsSpan();
        _case.TryFormat(row, out var at, default, CultureInfo.InvariantCulture);
        row[at++] = ',';
        _step.TryFormat(row[at..], out var written, default, CultureInfo.InvariantCulture);
        at += written;
        _stateText.AsSpan(0, _stateTextLength).CopyTo(row[at..]);
        at += _stateTextLength;
        foreach (var value in action)
        {
            row[at++] = ',';
            value.TryFormat(row[at..], out written, "R", CultureInfo.InvariantCulture);
            at += written;
        }
        foreach (var value in outputs)
        {
            row[at++] = ',';
            at += Format(value, row[at..]);
        }
        row[at++] = ',';
        at += Format(reward, row[at..]);
        row[at++] = '\n';
        _writer.Write(row[..at]);
        _step++;
        Steps++;
    }

    /// <summary>Hands buffered rows to the OS (they still appear at <see cref="Path"/> only on <see cref="Complete"/>).</summary>
    public void Flush()
    {
        ThrowIfCompleted();
        _writer.Flush();
    }

    /// <summary>Flushes to disk and renames the trace into place. Later calls do nothing; later writes throw.</summary>
    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        try
        {
            _writer.Flush();
            ((FileStream)_writer.BaseStream).Flush(flushToDisk: true);
            _writer.Dispose();
            File.Move(_temporaryPath, Path, overwrite: true);
        }
        catch
        {
            _writer.Dispose();
            try { File.Delete(_temporaryPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Completes the trace: what was recorded is kept, whether the recording ended normally or not.</summary>
    public void Dispose() => Complete();

    private static int Format(double value, Span<char> destination)
    {
        value.TryFormat(destination, out var written, "R", CultureInfo.InvariantCulture);
        return written;
    }

    private void ThrowIfCompleted()
    {
        if (_completed) throw new InvalidOperationException($"{Path}: the trace is already complete");
    }
}
