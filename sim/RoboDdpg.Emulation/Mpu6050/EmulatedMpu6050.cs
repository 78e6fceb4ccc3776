using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Sim.MotorPendulum;

namespace RoboDdpg.Emulation.Mpu6050;

/// <summary>Where and how the emulated MPU-6050 sits, and its noise.</summary>
public sealed record EmulatedMpu6050Options
{
    public int BusId { get; init; } = 1;

    /// <summary>0x68, or 0x69 with AD0 high.</summary>
    public int Address { get; init; } = 0x68;

    /// <summary>Bus timing; null = 400 kHz.</summary>
    public EmulatedBusTiming? Timing { get; init; }

    /// <summary>Distance from the pivot to the IMU along the arm, m.</summary>
    public double MountRadius { get; init; } = 0.1;

    /// <summary>Accelerometer noise, m/s² rms per sample (≈ 6 mg: 400 µg/√Hz over the 260 Hz bandwidth).</summary>
    public double AccelNoiseStd { get; init; } = 0.06;

    /// <summary>Gyroscope noise, rad/s rms per sample (≈ 0.05 °/s).</summary>
    public double GyroNoiseStd { get; init; } = 0.0009;

    /// <summary>Die temperature reported by TEMP_OUT, °C.</summary>
    public double TemperatureCelsius { get; init; } = 25;

    /// <summary>Seed of the noise generator (runs are reproducible).</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Register-level InvenSense MPU-6050 mounted on the pendulum arm: WHO_AM_I, PWR_MGMT_1 (reset, sleep), SMPLRT_DIV,
/// CONFIG, GYRO_CONFIG and ACCEL_CONFIG (full-scale ranges), and the big-endian ACCEL/TEMP/GYRO output registers
/// refreshed at the sample rate from the plant.
/// </summary>
/// <remarks>
/// <para>Mounting: the chip sits on the arm at <see cref="EmulatedMpu6050Options.MountRadius"/> r from the pivot,
/// x along the arm pointing away from the pivot, y tangential pointing towards increasing θ, z along the pivot axis
/// (x × y, out of the plane of motion, so a counter-clockwise swing is positive about z). It measures specific force
/// (acceleration minus gravity) and the arm's rotation rate:</para>
/// <para>accel_x = −r·ω² + g·cos θ, accel_y = r·α − g·sin θ, accel_z = 0; gyro_z = ω, gyro_x = gyro_y = 0
/// (θ = 0 upright, so at rest upright x reads +1 g and hanging −1 g). The angular acceleration α comes from the
/// plant's own model at the sampled state (motor torque N·Kt·i, gravity, viscous and Coulomb friction, static
/// friction holding at rest) — approximate, but consistent with the physics the plant integrates.</para>
/// <para>Scales (datasheet): accelerometer 16384/8192/4096/2048 LSB/g for ±2/4/8/16 g, with g = 9.80665 m/s²;
/// gyroscope 131/65.5/32.8/16.4 LSB/(°/s) for ±250/500/1000/2000 °/s; temperature raw = (T − 36.53 °C)·340.
/// Outputs saturate at ±32767. Register access auto-increments. The output registers hold one sample per sample
/// period (8 kHz/(1+SMPLRT_DIV) with DLPF_CFG 0 or 7, else 1 kHz/(1+SMPLRT_DIV)); reading faster returns the
/// same sample again, as the chip does. While PWR_MGMT_1.SLEEP is set (the power-on state) they are not updated.</para>
/// <para>Faults (besides <see cref="EmulatedI2cDevice.Faults"/>): <see cref="WhoAmI"/> answers another identity.</para>
/// </remarks>
public sealed class EmulatedMpu6050 : EmulatedI2cDevice
{
    private const double StandardGravity = 9.80665;
    private const byte SmplrtDiv = 0x19, Config = 0x1A, GyroConfig = 0x1B, AccelConfig = 0x1C;
    private const byte AccelXoutH = 0x3B, GyroZoutL = 0x48, PwrMgmt1 = 0x6B, WhoAmIRegister = 0x75;
    private const byte DeviceReset = 0x80, SleepBit = 0x40;

    private readonly MotorPendulumPlant _plant;
    private readonly EmulatedMpu6050Options _options;
    private readonly long _startNanoseconds;
    private readonly byte[] _registers = new byte[128];
    private readonly Random _noise;
    private byte _pointer;
    private long _sampleIndex = -1;
    private long _samples;
    private volatile byte _whoAmI = 0x68;

    public EmulatedMpu6050(MotorPendulumPlant plant, IMonotonicClock clock, EmulatedMpu6050Options? options = null)
        : this(plant, clock, options ?? new EmulatedMpu6050Options(), defaulted: true)
    {
    }

    // 'defaulted' only tells this constructor (options resolved) apart from the public one.
    private EmulatedMpu6050(MotorPendulumPlant plant, IMonotonicClock clock, EmulatedMpu6050Options options, bool defaulted)
        : base(options.BusId, options.Address, clock, options.Timing)
    {
        ArgumentNullException.ThrowIfNull(plant);
        _plant = plant;
        _options = options;
        if (!(options.MountRadius >= 0)) throw new ArgumentOutOfRangeException(nameof(options), "MountRadius must be ≥ 0");
        _noise = new Random(_options.Seed);
        _startNanoseconds = clock.NowNanoseconds;
        PowerOnReset();
    }

    /// <summary>What WHO_AM_I answers: 0x68 for a genuine MPU-6050; set another value to emulate a wrong chip.</summary>
    public byte WhoAmI
    {
        get => _whoAmI;
        set => _whoAmI = value;
    }

    /// <summary>Samples taken from the plant into the output registers.</summary>
    public long Samples => Interlocked.Read(ref _samples);

    /// <summary>Register content without bus side effects (tests, diagnostics).</summary>
    public byte Register(int address)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(address);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(address, 127);
        return address == WhoAmIRegister ? _whoAmI : Volatile.Read(ref _registers[address]);
    }

    /// <summary>Accelerometer sensitivity at the configured range, LSB per m/s².</summary>
    public double AccelLsbPerMetrePerSecondSquared => (16384 >> ((Register(AccelConfig) >> 3) & 3)) / StandardGravity;

    /// <summary>Gyroscope sensitivity at the configured range, LSB per rad/s.</summary>
    public double GyroLsbPerRadianPerSecond => ((Register(GyroConfig) >> 3) & 3) switch
    {
        0 => 131.0,
        1 => 65.5,
        2 => 32.8,
        _ => 16.4,
    } * 180 / Math.PI;

    /// <summary>
    /// The specific force (m/s², sensor axes) and rotation rate (rad/s) the chip senses for a plant state, noise-free:
    /// what the output registers encode before quantization.
    /// </summary>
    public (double Ax, double Ay, double Az, double Gx, double Gy, double Gz) Sense(PlantSample sample)
    {
        var p = _plant.Parameters;
        var r = _options.MountRadius;
        var alpha = AngularAcceleration(sample, p);
        var ax = -r * sample.Omega * sample.Omega + p.Gravity * Math.Cos(sample.Theta);
        var ay = r * alpha - p.Gravity * Math.Sin(sample.Theta);
        return (ax, ay, 0, 0, 0, sample.Omega);
    }

    /// <summary>The plant's angular acceleration at a state, from its model (see the class remarks).</summary>
    public static double AngularAcceleration(PlantSample sample, MotorPendulumParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var drive = p.GearRatio * p.TorqueConstant * sample.Current + p.GravityTorque * Math.Sin(sample.Theta);
        double net;
        if (sample.Omega == 0)
            net = Math.Abs(drive) <= p.CoulombFriction ? 0 : drive - Math.CopySign(p.CoulombFriction, drive);
        else
            net = drive - p.ViscousFriction * sample.Omega - Math.CopySign(p.CoulombFriction, sample.Omega);
        return net / p.TotalInertia;
    }

    protected override void ReadRegisters(Span<byte> buffer)
    {
        if (_pointer + buffer.Length > AccelXoutH && _pointer <= GyroZoutL) Refresh();
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = _pointer == WhoAmIRegister ? _whoAmI : _registers[_pointer];
            _pointer = (byte)((_pointer + 1) & 0x7F);
        }
    }

    protected override void WriteRegisters(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty) return;
        _pointer = (byte)(buffer[0] & 0x7F);
        for (var i = 1; i < buffer.Length; i++)
        {
            if (!IsFrozen) Store(_pointer, buffer[i]);
            _pointer = (byte)((_pointer + 1) & 0x7F);
        }
    }

    private void Store(byte register, byte value)
    {
        switch (register)
        {
            case PwrMgmt1 when (value & DeviceReset) != 0:
                PowerOnReset(); // DEVICE_RESET: every register back to its default, the bit clears itself
                break;
            case >= AccelXoutH and <= GyroZoutL:
            case WhoAmIRegister:
                break; // read-only
            default:
                Volatile.Write(ref _registers[register], value);
                break;
        }
    }

    private void PowerOnReset()
    {
        Array.Clear(_registers);
        _registers[PwrMgmt1] = SleepBit;
        _sampleIndex = -1;
    }

    private void Refresh()
    {
        if (IsFrozen || (_registers[PwrMgmt1] & SleepBit) != 0) return;
        var dlpf = _registers[Config] & 7;
        var rate = (dlpf is 0 or 7 ? 8000.0 : 1000.0) / (1 + _registers[SmplrtDiv]);
        var index = (long)Math.Floor((Clock.NowNanoseconds - _startNanoseconds) * 1e-9 * rate);
        if (index == _sampleIndex) return; // same sample period: the chip still holds the same sample
        _sampleIndex = index;
        Interlocked.Increment(ref _samples);

        var (ax, ay, az, gx, gy, gz) = Sense(_plant.Sample());
        var accelScale = AccelLsbPerMetrePerSecondSquared;
        var gyroScale = GyroLsbPerRadianPerSecond;
        var a = _options.AccelNoiseStd;
        var g = _options.GyroNoiseStd;
        Put(AccelXoutH, (ax + a * Gaussian()) * accelScale);
        Put(AccelXoutH + 2, (ay + a * Gaussian()) * accelScale);
        Put(AccelXoutH + 4, (az + a * Gaussian()) * accelScale);
        Put(AccelXoutH + 6, (_options.TemperatureCelsius - 36.53) * 340);
        Put(AccelXoutH + 8, (gx + g * Gaussian()) * gyroScale);
        Put(AccelXoutH + 10, (gy + g * Gaussian()) * gyroScale);
        Put(AccelXoutH + 12, (gz + g * Gaussian()) * gyroScale);
    }

    private void Put(int high, double value)
    {
        var raw = (short)Math.Clamp(Math.Round(value), short.MinValue, short.MaxValue);
        Volatile.Write(ref _registers[high], (byte)(raw >> 8));
        Volatile.Write(ref _registers[high + 1], (byte)raw);
    }

    private double Gaussian()
    {
        // Box–Muller; 1 − NextDouble() is in (0, 1], so the log is finite.
        var u = 1.0 - _noise.NextDouble();
        var v = _noise.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
