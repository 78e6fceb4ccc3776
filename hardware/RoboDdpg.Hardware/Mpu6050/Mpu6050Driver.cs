using System.Device.I2c;
using System.Numerics;
using Iot.Device.Imu;
using RoboDdpg.Core.Timing;
using RoboDdpg.Hardware.Buses;
using RoboDdpg.Hardware.Description;
using RoboDdpg.Hardware.Devices;
using Mpu6050Binding = Iot.Device.Imu.Mpu6050;

namespace RoboDdpg.Hardware.Mpu6050;

/// <summary>
/// An InvenSense MPU-6050 6-axis IMU on I2C through the <c>Iot.Device.Imu.Mpu6050</c> binding over the I2C device
/// from <see cref="IBusProvider"/>. Inputs: accel_x/y/z (specific force, m/s²) and gyro_x/y/z (rad/s) in the
/// chip's axes, at the full-scale ranges of the settings.
/// </summary>
/// <remarks>
/// <para><see cref="Open"/> reads WHO_AM_I first: no answer or anything but 0x68 is a permanent
/// <see cref="DeviceException"/>. Then the binding resets and wakes the chip (it sleeps 2 × 100 ms doing so) and the
/// ranges are set (the binding reads each back).</para>
/// <para>Plausibility checks on every <see cref="Read"/>, each a transient <see cref="DeviceProtocolException"/>:
/// all three accelerometer axes equal and all three gyroscope axes equal at once (what a bus stuck high — every
/// register 0xFFFF — or a chip that lost its configuration and sits in reset with zeros looks like; a live sensor's
/// noise makes it practically impossible); and readings bit-for-bit unchanged for at least
/// <see cref="FrozenAfter"/> over at least 5 reads (a live MPU-6050 has several LSB of noise per sample at
/// 1 kHz, so frozen registers mean a hung chip). Saturated axes (beyond ±range) are reported as the full-scale value,
/// not flagged: pick ranges the motion stays within.</para>
/// <para>Bus cost per read: 8 transactions (the binding reads SMPLRT_DIV again for each scale), ≈ 0.6 ms at 400 kHz.</para>
/// </remarks>
public sealed class Mpu6050Driver : IRobotDevice
{
    /// <summary>How long bit-identical readings may last before they count as frozen.</summary>
    public static readonly TimeSpan FrozenAfter = TimeSpan.FromMilliseconds(100);

    private const int FrozenMinimumReads = 5;
    private const double RadiansPerDegree = Math.PI / 180;
    private static readonly string[] InputNames = ["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"];

    private readonly IBusProvider _buses;
    private readonly IMonotonicClock _clock;
    private readonly int _busId;
    private readonly int _address;
    private readonly AccelerometerRange _accelRange;
    private readonly GyroscopeRange _gyroRange;
    private I2cDevice? _i2c;
    private Mpu6050Binding? _imu;
    private Vector3 _lastAccel;
    private Vector3 _lastGyro;
    private long _valueSeenAt;
    private int _repeats;

    /// <param name="clock">Time base of the frozen-readings check (the machine's monotonic clock unless a test fakes it).</param>
    public Mpu6050Driver(DeviceDescription description, IBusProvider buses, IMonotonicClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(buses);
        _buses = buses;
        _clock = clock ?? MonotonicClock.Instance;
        Name = description.Name;
        var s = description.Settings;
        _busId = s.GetInt("bus");
        _address = s.GetInt("address");
        AccelRangeG = s.GetInt("accel_range_g");
        GyroRangeDegreesPerSecond = s.GetInt("gyro_range_dps");
        _accelRange = AccelRangeG switch
        {
            2 => AccelerometerRange.Range02G,
            4 => AccelerometerRange.Range04G,
            8 => AccelerometerRange.Range08G,
            16 => AccelerometerRange.Range16G,
            _ => throw new DeviceException(Name, $"accel_range_g must be 2, 4, 8 or 16, not {AccelRangeG}"),
        };
        _gyroRange = GyroRangeDegreesPerSecond switch
        {
            250 => GyroscopeRange.Range0250Dps,
            500 => GyroscopeRange.Range0500Dps,
            1000 => GyroscopeRange.Range1000Dps,
            2000 => GyroscopeRange.Range2000Dps,
            _ => throw new DeviceException(Name, $"gyro_range_dps must be 250, 500, 1000 or 2000, not {GyroRangeDegreesPerSecond}"),
        };
    }

    public string Name { get; }

    public IReadOnlyList<string> Inputs => InputNames;

    public IReadOnlyList<string> Outputs => [];

    public bool MayBlock => false;

    /// <summary>Accelerometer full scale, ±g.</summary>
    public int AccelRangeG { get; }

    /// <summary>Gyroscope full scale, ±°/s.</summary>
    public int GyroRangeDegreesPerSecond { get; }

    public void Open()
    {
        Close();
        var where = DeviceBuses.Where(_busId, _address);
        _i2c = DeviceBuses.OpenI2c(Name, _buses, _busId, _address);
        byte identity;
        try
        {
            _i2c.WriteByte(0x75); // WHO_AM_I
            identity = _i2c.ReadByte();
        }
        catch (IOException e)
        {
            Close();
            throw new DeviceException(Name, $"no MPU-6050 answers at {where}: {e.Message}", e);
        }
        if (identity != 0x68)
        {
            Close();
            throw new DeviceException(Name, $"WHO_AM_I at {where} reads 0x{identity:x2}, expected 0x68: not an MPU-6050 (an MPU-6500/9250 answers 0x70/0x71)");
        }
        try
        {
            _imu = new Mpu6050Binding(_i2c);
            _imu.AccelerometerRange = _accelRange;
            _imu.GyroscopeRange = _gyroRange;
        }
        catch (IOException e)
        {
            Close();
            throw new DeviceException(Name, $"MPU-6050 at {where} did not take its configuration: {e.Message}", e);
        }
        _repeats = 0;
        _valueSeenAt = _clock.NowNanoseconds;
        _lastAccel = new Vector3(float.NaN);
        _lastGyro = new Vector3(float.NaN);
    }

    public void Read(Span<double> readings)
    {
        var imu = _imu ?? throw new InvalidOperationException($"device '{Name}' is not open");
        var accel = imu.GetAccelerometer();
        var gyro = imu.GetGyroscopeReading();
        if (accel.X == accel.Y && accel.Y == accel.Z && gyro.X == gyro.Y && gyro.Y == gyro.Z)
        {
            throw new DeviceProtocolException(Name,
                $"every axis reads the same value (accel {accel.X} m/s², gyro {gyro.X} °/s): bus stuck or chip reset");
        }
        var now = _clock.NowNanoseconds;
        if (accel == _lastAccel && gyro == _lastGyro)
        {
            _repeats++;
            var unchanged = now - _valueSeenAt;
            if (_repeats >= FrozenMinimumReads && unchanged >= FrozenAfter.Ticks * 100)
            {
                throw new DeviceProtocolException(Name,
                    $"readings unchanged for {unchanged / 1_000_000} ms over {_repeats + 1} reads: the chip's registers are frozen");
            }
        }
        else
        {
            _lastAccel = accel;
            _lastGyro = gyro;
            _valueSeenAt = now;
            _repeats = 0;
        }
        readings[0] = accel.X;
        readings[1] = accel.Y;
        readings[2] = accel.Z;
        readings[3] = gyro.X * RadiansPerDegree;
        readings[4] = gyro.Y * RadiansPerDegree;
        readings[5] = gyro.Z * RadiansPerDegree;
    }

    public void Write(ReadOnlySpan<double> commands)
    {
    }

    public bool Stop() => true; // a sensor: nothing to put at rest

    public void Dispose() => Close();

    private void Close()
    {
        if (_imu is not null) _imu.Dispose(); // disposes the I2C device
        else _i2c?.Dispose();
        _imu = null;
        _i2c = null;
    }
}
