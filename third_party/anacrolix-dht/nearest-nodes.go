package dht
