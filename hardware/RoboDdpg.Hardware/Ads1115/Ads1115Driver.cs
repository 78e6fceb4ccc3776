using System.Buffers.Binary;
using System.Device.I2c;
using Iot.Device.Ads1115;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;
using Ads1115Binding = Iot.Device.Ads1115.Ads1115;

namespace RoboDdpg.Hardware.Ads1115;

/// <summary>
/// A TI ADS1115 16-bit ADC on I2C through the <c>Iot.Device.Ads1115.Ads1115</c> binding over the I2C device from
/// <see cref="IBusProvider"/>: one single-ended input (a0..a3 against GND) per channel named in the <c>inputs</c>
/// setting, in volts, at the settings' full-scale range and data rate.
/// </summary>
/// <remarks>
/// <para>Each input is one single-shot conversion (the binding writes the config with OS = 1, polls OS until the
/// conversion is done, then reads the result), so a <see cref="Read"/> takes at least inputs/DR: 1.16 ms per input
/// at 860 SPS, 125 ms at 8 SPS. That is longer than a 1 kHz tick even at the fastest rate, hence
/// <see cref="MayBlock"/> = true: the runtime reads it on its own I/O thread. A conversion that never finishes is
/// the binding's <see cref="TimeoutException"/> (transient).</para>
/// <para>The chip has no identity register. Checks: after each conversion (and once in <see cref="Open"/>) the config
/// register is read back and must equal what the binding wrote, OS bit aside (mux, range, mode, rate, comparator):
/// one more transaction per input. A mismatch — 0xFFFF from a bus stuck high, power-on defaults after a reset, a hung
/// chip ignoring the new mux, another chip at the address — is a <see cref="DeviceProtocolException"/> in
/// <see cref="Read"/> and a <see cref="DeviceException"/> in <see cref="Open"/>. A hung chip on a single input (the
/// mux never changes) cannot be told from a constant voltage and is reported as read; an input beyond the range reads
/// as the full-scale value.</para>
/// </remarks>
public sealed class Ads1115Driver : IRobotDevice
{
    private static readonly (double Volts, MeasuringRange Range)[] Ranges =
    [
        (6.144, MeasuringRange.FS6144), (4.096, MeasuringRange.FS4096), (2.048, MeasuringRange.FS2048),
        (1.024, MeasuringRange.FS1024), (0.512, MeasuringRange.FS0512), (0.256, MeasuringRange.FS0256),
    ];

    private static readonly (int Sps, DataRate Rate)[] Rates =
    [
        (8, DataRate.SPS008), (16, DataRate.SPS016), (32, DataRate.SPS032), (64, DataRate.SPS064),
        (128, DataRate.SPS128), (250, DataRate.SPS250), (475, DataRate.SPS475), (860, DataRate.SPS860),
    ];

    private readonly IBusProvider _buses;
    private readonly int _busId;
    private readonly int _address;
    private readonly string[] _inputNames;
    private readonly InputMultiplexer[] _mux;
    private readonly MeasuringRange _range;
    private readonly DataRate _rate;
    private I2cDevice? _i2c;
    private Ads1115Binding? _adc;

    public Ads1115Driver(DeviceDescription description, IBusProvider buses)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(buses);
        _buses = buses;
        Name = description.Name;
        var s = description.Settings;
        _busId = s.GetInt("bus");
        _address = s.GetInt("address");
        _inputNames = s.GetString("inputs").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (_inputNames.Length == 0) throw new DeviceException(Name, "inputs names no input: use a0..a3, e.g. \"a0,a1\"");
        _mux = new InputMultiplexer[_inputNames.Length];
        for (var i = 0; i < _inputNames.Length; i++)
        {
            _mux[i] = _inputNames[i].ToLowerInvariant() switch
            {
                "a0" => InputMultiplexer.AIN0,
                "a1" => InputMultiplexer.AIN1,
                "a2" => InputMultiplexer.AIN2,
                "a3" => InputMultiplexer.AIN3,
                _ => throw new DeviceException(Name, $"unknown input '{_inputNames[i]}' in inputs: use a0, a1, a2 or a3"),
            };
            if (Array.IndexOf(_mux, _mux[i], 0, i) >= 0) throw new DeviceException(Name, $"input '{_inputNames[i]}' is listed twice");
        }
        RangeVolts = s.GetDouble("range_volts");
        _range = Array.Find(Ranges, r => Math.Abs(r.Volts - RangeVolts) < 1e-9) is { Volts: > 0 } range
            ? range.Range
            : throw new DeviceException(Name, $"range_volts must be 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256, not {RangeVolts}");
        SamplesPerSecond = s.GetInt("samples_per_second");
        _rate = Array.Find(Rates, r => r.Sps == SamplesPerSecond) is { Sps: > 0 } rate
            ? rate.Rate
            : throw new DeviceException(Name, $"samples_per_second must be 8, 16, 32, 64, 128, 250, 475 or 860, not {SamplesPerSecond}");
    }

    public string Name { get; }

    public IReadOnlyList<string> Inputs => _inputNames;

    public IReadOnlyList<string> Outputs => [];

    /// <summary>Always true: one conversion alone lasts 1/DR ≥ 1.16 ms.</summary>
    public bool MayBlock => true;

    /// <summary>Full-scale range, ±V.</summary>
    public double RangeVolts { get; }

    /// <summary>Data rate (conversions per second).</summary>
    public int SamplesPerSecond { get; }

    public void Open()
    {
        Close();
        var where = DeviceBuses.Where(_busId, _address);
        _i2c = DeviceBuses.OpenI2c(Name, _buses, _busId, _address);
        try
        {
            _adc = new Ads1115Binding(_i2c, _mux[0], _range, _rate, DeviceMode.PowerDown);
            var (actual, expected) = Config(_mux[0]);
            if (actual != expected)
            {
                throw new DeviceException(Name,
                    $"the config register at {where} reads 0x{actual:x4}, an ADS1115 would hold 0x{expected:x4} (OS bit aside): not an ADS1115, or a wrong address");
            }
        }
        catch (Exception e) when (e is IOException or TimeoutException)
        {
            Close();
            throw new DeviceException(Name, $"no ADS1115 answers at {where}: {e.Message}", e);
        }
        catch (DeviceException)
        {
            Close();
            throw;
        }
    }

    public void Read(Span<double> readings)
    {
        var adc = _adc ?? throw new InvalidOperationException($"device '{Name}' is not open");
        for (var i = 0; i < _mux.Length; i++)
        {
            var raw = adc.ReadRaw(_mux[i], _range, _rate);
            var (actual, expected) = Config(_mux[i]);
            if (actual != expected)
            {
                throw new DeviceProtocolException(Name,
                    $"config register reads 0x{actual:x4} after the conversion, expected 0x{expected:x4} (OS bit aside): garbage on the bus, or the chip was reset or ignores writes");
            }
            readings[i] = adc.RawToVoltage(raw).Volts;
        }
    }

    public void Write(ReadOnlySpan<double> commands)
    {
    }

    public bool Stop() => true; // single-shot mode: the chip powers down after each conversion by itself

    public void Dispose() => Close();

    /// <summary>The config register read back and what the binding wrote for <paramref name="mux"/>, both without the OS bit.</summary>
    private (int Actual, int Expected) Config(InputMultiplexer mux)
    {
        var adc = _adc!;
        Span<byte> pointer = [0x01];
        Span<byte> value = stackalloc byte[2];
        _i2c!.WriteRead(pointer, value);
        var actual = BinaryPrimitives.ReadUInt16BigEndian(value) & 0x7FFF;
        var high = ((int)mux << 4) | ((int)_range << 1) | (int)DeviceMode.PowerDown;
        var low = ((int)_rate << 5) | ((int)adc.ComparatorMode << 4) | ((int)adc.ComparatorPolarity << 3)
                  | ((int)adc.ComparatorLatching << 2) | (int)adc.ComparatorQueue;
        return (actual, (high << 8) | low);
    }

    private void Close()
    {
        if (_adc is not null)
        {
            try
            {
                _adc.Dispose(); // resets the comparator registers, then disposes the I2C device
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                _i2c?.Dispose(); // the chip is gone or hung; still release the bus
            }
        }
        else
        {
            _i2c?.Dispose();
        }
        _adc = null;
        _i2c = null;
    }
}
