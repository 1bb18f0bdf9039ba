#!/usr/bin/env bash
# Coverage-guided fuzzing of the guest-facing bus devices with afl-fuzz through SharpFuzz: a
# guest's port and MMIO accesses as the fuzzer makes them (addresses mostly around the devices'
# windows, 1-8 bytes, reads and writes) and a few host events, fed through the port and MMIO
# buses of a machine's legacy (8250, i8042, RTC, quiet ports), ACPI PM, LPS0, slot power and
# PCI (config ports, ECAM, BARs, MSI-X) devices and the arm64 machine's PL061 GPIO controller
# and power key, for SECONDS, from the committed corpus
# (tests/Vireo.Devices.Fuzz/corpus/bus/). Vireo.Devices and Vireo.Pci are instrumented. A guest
# access may never throw, nor break the target's invariants (BusTarget); anything else, or an
# input that does not end, is a finding.
# Exits 1 listing every crashing or hanging input (tools/fuzz/afl-run.sh does the work).
# Usage: tools/fuzz/devices.sh [SECONDS] (default 120)
set -euo pipefail
exec "$(dirname "$0")/afl-run.sh" Vireo.Devices.Fuzz Vireo.Devices,Vireo.Pci "${1:-120}" bus
