using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.Mpu6050;
using RoboDdpg.Hardware.Tests.Support;

namespace RoboDdpg.Hardware.Tests.Mpu6050;

/// <summary>The MPU-6050 emulator's registers through raw bus transactions.</summary>
public sealed class EmulatedMpu6050Tests
{
    private readonly FakeClock _clock = new();
    private readonly EmulatedMpu6050 _imu;

    public EmulatedMpu6050Tests()
    {
        var plant = Plants.Create(_clock); // hanging at rest: accel_x = −1 g
        _imu = new EmulatedMpu6050(plant, _clock, new EmulatedMpu6050Options { AccelNoiseStd = 0, GyroNoiseStd = 0, Timing = EmulatedBusTiming.Instant });
    }

    private short ReadWord(byte register)
    {
        Span<byte> two = stackalloc byte[2];
        _imu.WriteRead([register], two);
        return (short)((two[0] << 8) | two[1]);
    }

    [Fact]
    public void Powers_on_asleep_with_its_identity_and_zero_outputs()
    {
        Assert.Equal(0x68, _imu.ReadByteAt(0x75));
        Assert.Equal(0x40, _imu.ReadByteAt(0x6B));
        Assert.Equal(0, ReadWord(0x3B));
        Assert.Equal(0, _imu.Samples);
    }

    [Fact]
    public void Awake_it_reports_gravity_big_endian_at_the_configured_range()
    {
        _imu.Write([0x6B, 0x01]);
        Assert.Equal(-16390, ReadWord(0x3B)); // −9.81 / 9.80665 · 16384 = −16389.6
        _imu.Write([0x1C, 0x18]); // ±16 g
        _clock.Advance(0.001);
        Assert.Equal(-2049, ReadWord(0x3B)); // · 2048 = −2048.7
        Assert.Equal((short)Math.Round((25 - 36.53) * 340), ReadWord(0x41));
    }

    [Fact]
    public void Outputs_hold_one_sample_per_sample_period()
    {
        _imu.Write([0x6B, 0x01]);
        _imu.Write([0x1A, 0x01]); // DLPF on: 1 kHz
        ReadWord(0x3B);
        _clock.Advance(0.0004);
        ReadWord(0x3B);
        Assert.Equal(1, _imu.Samples);
        _clock.Advance(0.0007);
        ReadWord(0x3B);
        Assert.Equal(2, _imu.Samples);
    }

    [Fact]
    public void Device_reset_restores_the_power_on_registers()
    {
        _imu.Write([0x6B, 0x01]);
        _imu.Write([0x1B, 0x18]);
        _imu.Write([0x6B, 0x80]);
        Assert.Equal(0x40, _imu.Register(0x6B));
        Assert.Equal(0x00, _imu.Register(0x1B));
    }
}

internal static class I2cDeviceTestExtensions
{
    /// <summary>Register pointer write then a one-byte read: two transactions, as the bindings do it.</summary>
    public static byte ReadByteAt(this System.Device.I2c.I2cDevice device, byte register)
    {
        device.WriteByte(register);
        return device.ReadByte();
    }
}
