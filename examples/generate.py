"""Generate the meter data of the bundled example factory (deterministic, seeded).

A plausible Hefei air-conditioner manufacturer (合肥经开区), reporting year 2024:

- two grid incomers and three workshop submeters, 15-minute interval data [kWh];
- a 5 MWp rooftop PV plant and its export meter, 15-minute [kWh];
- a gas boiler on an hourly cumulative register in Nm3 that rolls over at 1,000,000;
- purchased steam, daily [t].

Diesel, gasoline and the refrigerant charges are declared in ``inventory.toml`` (invoices), not here.
Run ``python examples/generate.py`` to rewrite ``examples/hefei-appliance/meters.parquet``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

YEAR = 2024
OUT = Path(__file__).parent / "hefei-appliance" / "meters.parquet"


def _grid(freq: str, closing: bool = False) -> np.ndarray:
    start = np.datetime64(f"{YEAR}-01-01T00:00", "m")
    end = np.datetime64(f"{YEAR + 1}-01-01T00:00", "m")
    step = {"15min": 15, "1h": 60, "1D": 1440}[freq]
    t = np.arange(start, end + (np.timedelta64(step, "m") if closing else 0),
                  np.timedelta64(step, "m"))
    return t


def build(seed: int = 20240101) -> pa.Table:
    rng = np.random.default_rng(seed)
    t = _grid("15min")
    n = t.size
    hour = (t - t.astype("datetime64[D]")).astype("timedelta64[m]").astype(int) / 60.0
    day = (t.astype("datetime64[D]") - np.datetime64(f"{YEAR}-01-01")).astype(int)
    weekday = ((t.astype("datetime64[D]").astype(int) + 3) % 7) < 5  # 1970-01-01 was a Thursday
    season = 1.0 + 0.25 * np.cos(2 * np.pi * (day - 200) / 366)  # summer peak (cooling, testing)
    shift = np.where((hour >= 8) & (hour < 24), 1.0, 0.35) * np.where(weekday, 1.0, 0.55)
    # factory load [kW], about 3.3 MW on average
    load_kw = 4200.0 * shift * season * (1 + 0.05 * rng.standard_normal(n))
    load_kw = np.clip(load_kw, 300.0, None)

    # rooftop PV, 5 MWp, about 1,100 kWh/kWp/yr in Hefei
    declination = 23.44 * np.sin(2 * np.pi * (day - 80) / 366)
    daylen = 12 + 4.2 * declination / 23.44
    sunrise = 12 - daylen / 2
    frac = np.clip((hour + 0.125 - sunrise) / daylen, 0, 1)
    clear = np.sin(np.pi * frac) ** 1.3
    daily_cloud = np.repeat(rng.beta(2.2, 1.4, size=n // 96), 96)
    pv_kw = 5000.0 * 0.82 * clear * daily_cloud

    on_site = np.minimum(pv_kw, load_kw)
    export_kw = pv_kw - on_site
    import_kw = load_kw - on_site
    to_kwh = 0.25
    incomer_share = 0.62 + 0.03 * np.sin(2 * np.pi * day / 7)

    series = {
        "grid-incomer-1": import_kw * incomer_share * to_kwh,
        "grid-incomer-2": import_kw * (1 - incomer_share) * to_kwh,
        "pv-roof": pv_kw * to_kwh,
        "pv-export": export_kw * to_kwh,
        "sub-assembly": load_kw * 0.41 * to_kwh,
        "sub-compressor-test": load_kw * 0.27 * to_kwh,
        "sub-paint": load_kw * 0.12 * to_kwh,
    }
    parts = []
    for meter, values in series.items():
        parts.append((t, meter, np.round(values, 2)))

    # gas boiler, hourly cumulative register in Nm3 (6 digits, rolls over at 1,000,000)
    th = _grid("1h", closing=True)
    hh = (th - th.astype("datetime64[D]")).astype("timedelta64[m]").astype(int) / 60.0
    dh = (th.astype("datetime64[D]") - np.datetime64(f"{YEAR}-01-01")).astype(int)
    heating = 1.0 + 0.8 * np.cos(2 * np.pi * (dh - 15) / 366).clip(0, None)
    use = 62.0 * heating * np.where((hh >= 7) & (hh < 23), 1.0, 0.4) * \
        (1 + 0.08 * rng.standard_normal(th.size)).clip(0.5, None)
    register = (812_345.0 + np.concatenate([[0.0], np.cumsum(use[:-1])])) % 1_000_000.0
    parts.append((th, "gas-boiler", np.round(register, 1)))

    # purchased steam, daily tonnes (process heating, paint drying)
    td = _grid("1D")
    steam = 24.0 * (1 + 0.1 * rng.standard_normal(td.size)).clip(0.6, None)
    steam *= np.where(((td.astype(int) + 3) % 7) < 5, 1.0, 0.5)
    parts.append((td, "steam-purchase", np.round(steam, 2)))

    ts = np.concatenate([p[0].astype("datetime64[s]") for p in parts])
    meters = np.concatenate([np.full(p[0].size, p[1], dtype=object) for p in parts])
    values = np.concatenate([p[2] for p in parts])
    return pa.table({
        "timestamp": pa.array(ts, type=pa.timestamp("s")),
        "meter": pa.array(meters, type=pa.string()).dictionary_encode(),
        "value": pa.array(values, type=pa.float64()),
    })


def main() -> None:
    table = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # page checksums (CRC-32 per data page) so a corrupted value is detected on read
    pq.write_table(table, OUT, compression="zstd", compression_level=19, use_dictionary=True,
                   write_page_checksum=True)
    print(f"wrote {OUT} ({table.num_rows} rows, {OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
