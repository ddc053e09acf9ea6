"""Smart charging (OCPP 1.6 Smart Charging profile, 2.0.1 functional block K) with no I/O and no clock.

- `model`: profiles, schedules and the facts of the charger they are checked against;
- `payloads`: profiles from and to both versions' payloads as the `ocpp` library passes them;
- `rules`: whether a charger accepts a profile, and the reason it gives when not;
- `store`: the installed profiles and how Set/Clear/transactions change them;
- `composite`: the limit in force at each moment (GetCompositeSchedule, the meter's cap);
- `reports`: 2.0.1 GetChargingProfiles → ReportChargingProfiles;
- `external`: limits from an EMS or the grid (K12/K13), the ISO 15118 EV's needs and schedule (K15-K17);
- `answers`: each CSMS-initiated call, from the handler's arguments to the new store and the answer.
"""
