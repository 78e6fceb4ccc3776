using System.Diagnostics;
using RoboDdpg.Core.Timing;
using RoboDdpg.Emulation.Ads1115;
using RoboDdpg.Emulation.I2c;
using RoboDdpg.Emulation.Mpu6050;
using RoboDdpg.Emulation.Pca9685;
using RoboDdpg.Emulation.Plants;
using RoboDdpg.Hardware.Ads1115;
using RoboDdpg.Hardware.Devices;
using RoboDdpg.Hardware.Mpu6050;
using RoboDdpg.Hardware.Pca9685Motor;
using RoboDdpg.Hardware.Tests.Support;
using RoboDdpg.Sim.MotorPendulum;
using Xunit.Abstractions;

namespace RoboDdpg.Hardware.Tests.IoTiming;

/// <summary>
/// Per-tick I/O time of one driver Write/Read through each emulated I2C path, in real time: with instantaneous
/// transactions (the cost of driver + binding + emulator) and with the 400 kHz bus time modelled by sleeping.
/// Printed, not asserted (timing belongs in benchmarks); the readings are checked so the loop measures real work.
/// </summary>
[Trait("Category", "HIL")]
public sealed class EmulatedI2cIoTimingTests(ITestOutputHelper output)
{
    public static TheoryData<int> BusClocks => new() { 0, 400_000 };

    [Theory]
    [MemberData(nameof(BusClocks))]
    public void Pca9685_motor_write(int busHz)
    {
        var plant = new MotorPendulumPlant(new MotorPendulumParameters(), MonotonicClock.Instance);
        var chip = new EmulatedPca9685(MonotonicClock.Instance, timing: new EmulatedBusTiming(busHz));
        using var hat = new EmulatedMotorHat(chip, 1, plant);
        using var buses = new EmulatedBuses().Add(chip);
        using var driver = new Pca9685MotorDriver(TestDevices.Describe("pca9685-dc-motor", ("motor", 1)), buses);
        driver.Open();
        var commands = new double[1];
        var stats = Measure(busHz == 0 ? 2000 : 300, () => chip.Transactions, i =>
        {
            commands[0] = i % 2 == 0 ? 0.30 : 0.31;
            driver.Write(commands);
        });
        Report("PCA9685 Write (duty change)", busHz, stats);
        Assert.Equal(Math.Round(0.31 * 4096), chip.OffCount(8));
    }

    [Theory]
    [MemberData(nameof(BusClocks))]
    public void Mpu6050_read(int busHz)
    {
        var plant = new MotorPendulumPlant(new MotorPendulumParameters(), MonotonicClock.Instance); // hanging at rest
        var imu = new EmulatedMpu6050(plant, MonotonicClock.Instance, new EmulatedMpu6050Options { Timing = new EmulatedBusTiming(busHz) });
        using var buses = new EmulatedBuses().Add(imu);
        using var driver = new Mpu6050Driver(TestDevices.Describe("mpu6050"), buses);
        driver.Open();
        var readings = new double[6];
        var stats = Measure(busHz == 0 ? 2000 : 300, () => imu.Transactions, _ => driver.Read(readings));
        Report("MPU-6050 Read (6 axes)", busHz, stats);
        Assert.Equal(-9.81, readings[0], 0.5); // −1 g along the hanging arm, ± noise and quantization
    }

    [Theory]
    [MemberData(nameof(BusClocks))]
    public void Ads1115_read(int busHz)
    {
        var plant = new MotorPendulumPlant(new MotorPendulumParameters(), MonotonicClock.Instance);
        var adc = new EmulatedAds1115(plant, MonotonicClock.Instance, new EmulatedAds1115Options { Timing = new EmulatedBusTiming(busHz) });
        using var buses = new EmulatedBuses().Add(adc);
        using var driver = new Ads1115Driver(TestDevices.Describe("ads1115", ("inputs", "a1")), buses);
        driver.Open();
        var readings = new double[1];
        var stats = Measure(150, () => adc.Transactions, _ => driver.Read(readings));
        Report("ADS1115 Read (1 input, 860 SPS)", busHz, stats);
        Assert.Equal(2.4, readings[0], 9);
    }

    private static Stats Measure(int count, Func<long> transactions, Action<int> tick)
    {
        for (var i = 0; i < 20; i++) tick(i); // warm-up: JIT, first-use paths
        var times = new double[count];
        var transactionsBefore = transactions();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            tick(i);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var perCall = (transactions() - transactionsBefore) / (double)count;
        Array.Sort(times);
        return new Stats(count, Plants.Percentile(times, 0.5), Plants.Percentile(times, 0.99), times[^1], bytes / (double)count, perCall);
    }

    private void Report(string path, int busHz, Stats s) =>
        output.WriteLine(
            $"{path}, bus {(busHz == 0 ? "instant" : $"{busHz / 1000} kHz modelled")}: p50 {s.P50:F1} µs, p99 {s.P99:F1} µs, " +
            $"max {s.Max:F1} µs over {s.Count} calls; {s.Transactions:F1} I2C transactions and {s.BytesPerCall:F0} B allocated per call");

    private readonly record struct Stats(int Count, double P50, double P99, double Max, double BytesPerCall, double Transactions);
}
