"""The data model: muscles, montages, tasks, sessions and processing configuration."""

from emgkit.model.montage import Channel, Montage, load_montage, parse_montage
from emgkit.model.muscles import GROUPS, MUSCLES, SIDES, Muscle, muscles_in_group
from emgkit.model.session import Device, Events, Session, Trial
from emgkit.model.tasks import Task, parse_task

__all__ = [
    "GROUPS",
    "MUSCLES",
    "SIDES",
    "Channel",
    "Device",
    "Events",
    "Montage",
    "Muscle",
    "Session",
    "Task",
    "Trial",
    "load_montage",
    "muscles_in_group",
    "parse_montage",
    "parse_task",
]
