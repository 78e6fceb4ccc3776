using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.Plants;

namespace RoboDdpg.Emulation.Ads1115;

/// <summary>What the emulated ADS1115's inputs are wired to, and its noise.</summary>
public sealed record EmulatedAds1115Options
{
    public int BusId { get; init; } = 1;

    /// <summary>0x48..0x4B by the ADDR pin.</summary>
    public int Address { get; init; } = 0x48;

    /// <summary>Bus timing; null = 400 kHz.</summary>
    public EmulatedBusTiming? Timing { get; init; }

    /// <summary>AIN0 = <see cref="CurrentOffsetVolts"/> + motor current · ShuntOhms (V/A of the current sense).</summary>
    public double ShuntOhms { get; init; } = 0.1;

    /// <summary>AIN0 at zero current (0 for a bare low-side shunt; mid-rail for a bidirectional sense amplifier).</summary>
    public double CurrentOffsetVolts { get; init; }

    /// <summary>AIN1 = (supply voltage − current · SupplySourceOhms) · DividerRatio.</summary>
    public double DividerRatio { get; init; } = 0.2;

    /// <summary>Internal resistance of the supply, Ω (its voltage sags with the motor current).</summary>
    public double SupplySourceOhms { get; init; }

    /// <summary>AIN2 in V (unused input: grounded).</summary>
    public double Ain2Volts { get; init; }

    /// <summary>AIN3 in V.</summary>
    public double Ain3Volts { get; init; }

    /// <summary>Chip supply; every input is clamped to [GND − 0.3 V, VDD + 0.3 V] as the ESD diodes would.</summary>
    public double VddVolts { get; init; } = 3.3;

    /// <summary>Input-referred noise, V rms per conversion.</summary>
    public double NoiseVolts { get; init; }

    /// <summary>Seed of the noise generator.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Register-level TI ADS1115 16-bit ADC: the pointer register, Conversion (0x00), Config (0x01: OS, MUX, PGA, MODE,
/// DR, comparator bits; power-on 0x8583), Lo_thresh (0x02) and Hi_thresh (0x03), all big-endian. Inputs come from
/// the plant: motor current through a shunt on AIN0, the supply through a divider on AIN1 (see
/// <see cref="EmulatedAds1115Options"/>).
/// </summary>
/// <remarks>
/// <para>Single-shot mode (MODE = 1): writing Config with OS = 1 starts a conversion lasting 1/DR; until it ends Config
/// reads back with OS = 0, then the result is in the Conversion register and OS reads 1. Continuous mode (MODE = 0):
/// a new result every 1/DR, OS reads 0. Conversion time is on the plant's clock (a <see cref="FakeClock"/> test must
/// let time pass, e.g. through the modelled bus time of the polls).</para>
/// <para>Result code = round((V_pos − V_neg)·32768/FS) clamped to [−32768, 32767], FS = 6.144, 4.096, 2.048, 1.024,
/// 0.512, 0.256 V for PGA 0..5 (6, 7 = 0.256 V). The inputs are sampled when the finished result is first observed
/// (the chip integrates over the conversion; at 860 SPS that is 1.16 ms).</para>
/// <para>Frozen (fault): Config writes are ignored and conversions neither start nor finish — a conversion in
/// progress stays in progress (OS = 0 forever), an idle chip keeps returning its last result.</para>
/// </remarks>
public sealed class EmulatedAds1115 : EmulatedI2cDevice
{
    private const ushort OsBit = 0x8000, ModeBit = 0x0100;
    private static readonly double[] DataRates = [8, 16, 32, 64, 128, 250, 475, 860];
    private static readonly double[] FullScales = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256];

    private readonly MotorPendulumPlant _plant;
    private readonly EmulatedAds1115Options _options;
    private readonly Random _noise;
    private readonly ushort[] _registers = [0x0000, 0x8583, 0x8000, 0x7FFF];
    private int _pointer;
    private bool _converting;
    private long _conversionEnd;
    private ushort _conversionConfig;
    private long _conversions;

    public EmulatedAds1115(MotorPendulumPlant plant, IMonotonicClock clock, EmulatedAds1115Options? options = null)
        : this(plant, clock, options ?? new EmulatedAds1115Options(), defaulted: true)
    {
    }

    // 'defaulted' only tells this constructor (options resolved) apart from the public one.
    private EmulatedAds1115(MotorPendulumPlant plant, IMonotonicClock clock, EmulatedAds1115Options options, bool defaulted)
        : base(options.BusId, options.Address, clock, options.Timing)
    {
        ArgumentNullException.ThrowIfNull(plant);
        _plant = plant;
        _options = options;
        _noise = new Random(_options.Seed);
    }

    /// <summary>Conversions completed.</summary>
    public long Conversions => Interlocked.Read(ref _conversions);

    /// <summary>A register as the bus would read it now (no conversion bookkeeping beyond what "now" implies).</summary>
    public ushort Register(int address)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(address);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(address, 3);
        lock (_registers)
        {
            Update();
            return address == 1 ? ConfigAsRead() : _registers[address];
        }
    }

    /// <summary>Full-scale voltage of a PGA setting (0..7).</summary>
    public static double FullScaleVolts(int pga) => FullScales[pga & 7];

    /// <summary>Conversion rate of a DR setting (0..7), samples per second.</summary>
    public static double SamplesPerSecond(int dataRate) => DataRates[dataRate & 7];

    /// <summary>The voltage on AIN0..AIN3 for a plant state (noise-free, before the ESD clamp).</summary>
    public double InputVolts(int input, PlantSample sample) => input switch
    {
        0 => _options.CurrentOffsetVolts + sample.Current * _options.ShuntOhms,
        1 => (_plant.Parameters.SupplyVoltage - sample.Current * _options.SupplySourceOhms) * _options.DividerRatio,
        2 => _options.Ain2Volts,
        3 => _options.Ain3Volts,
        _ => throw new ArgumentOutOfRangeException(nameof(input), input, "inputs are AIN0..AIN3"),
    };

    protected override void ReadRegisters(Span<byte> buffer)
    {
        lock (_registers)
        {
            Update();
            var value = _pointer == 1 ? ConfigAsRead() : _registers[_pointer];
            // Big-endian; bytes past the second repeat the register (the pointer does not auto-increment).
            for (var i = 0; i < buffer.Length; i++) buffer[i] = (byte)(i % 2 == 0 ? value >> 8 : value);
        }
    }

    protected override void WriteRegisters(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty) return;
        lock (_registers)
        {
            Update();
            _pointer = buffer[0] & 3;
            if (buffer.Length < 3 || IsFrozen || _pointer == 0) return; // pointer only, frozen, or the read-only Conversion register
            var value = (ushort)((buffer[1] << 8) | buffer[2]);
            if (_pointer != 1)
            {
                _registers[_pointer] = value;
                return;
            }
            _registers[1] = (ushort)(value & ~OsBit);
            // Continuous mode converts from now on; in single-shot mode OS = 1 starts one conversion unless one is
            // running. Anything else (OS = 0, or leaving continuous mode) lets a running conversion finish.
            if ((value & ModeBit) == 0 || ((value & OsBit) != 0 && !_converting)) StartConversion();
        }
    }

    private ushort ConfigAsRead()
    {
        var continuous = (_registers[1] & ModeBit) == 0;
        return (ushort)(continuous || _converting ? _registers[1] & ~OsBit : _registers[1] | OsBit);
    }

    private void StartConversion()
    {
        _converting = true;
        _conversionConfig = _registers[1];
        _conversionEnd = Clock.NowNanoseconds + ConversionNanoseconds(_conversionConfig);
    }

    private void Update()
    {
        if (!_converting || IsFrozen) return;
        var now = Clock.NowNanoseconds;
        if (now < _conversionEnd) return;
        _registers[0] = (ushort)Convert(_conversionConfig);
        Interlocked.Increment(ref _conversions);
        if ((_registers[1] & ModeBit) == 0)
        {
            // Continuous: the next conversion ends one period after this one (no catch-up of missed results).
            _conversionConfig = _registers[1];
            var period = ConversionNanoseconds(_conversionConfig);
            _conversionEnd += Math.Max(1, (now - _conversionEnd) / period + 1) * period;
        }
        else
        {
            _converting = false;
        }
    }

    private short Convert(ushort config)
    {
        var sample = _plant.Sample();
        var (positive, negative) = ((config >> 12) & 7) switch
        {
            0 => (0, 1),
            1 => (0, 3),
            2 => (1, 3),
            3 => (2, 3),
            var m => (m - 4, -1),
        };
        var volts = Clamped(positive, sample) - (negative < 0 ? 0 : Clamped(negative, sample));
        if (_options.NoiseVolts > 0) volts += _options.NoiseVolts * Gaussian();
        var code = Math.Round(volts * 32768 / FullScaleVolts((config >> 9) & 7));
        return (short)Math.Clamp(code, short.MinValue, short.MaxValue);
    }

    private double Clamped(int input, PlantSample sample) =>
        Math.Clamp(InputVolts(input, sample), -0.3, _options.VddVolts + 0.3);

    private static long ConversionNanoseconds(ushort config) => (long)Math.Ceiling(1e9 / SamplesPerSecond((config >> 5) & 7));

    private double Gaussian()
    {
        var u = 1.0 - _noise.NextDouble();
        var v = _noise.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
