// Seam: the microphone's sample ring, shared by every board's audio provider.
//
// Contract: one producer (the microphone interrupt) calls Push(); one consumer (the main loop) calls
// Written() and Copy(). Samples are indexed from 0 since the microphone started (uint32, wraps after
// ~74 hours at 16 kHz, which the unsigned differences tolerate). Copy() returns false when any requested
// sample was already overwritten (the consumer was too slow); the consumer then skips ahead to
// Written() - capacity + a margin, and counts the loss. Nothing ever blocks the interrupt.
//
// Portable: no Arduino, no heap; the caller owns the storage.

#ifndef WAKEBENCH_AUDIO_RING_H_
#define WAKEBENCH_AUDIO_RING_H_

#include <stdint.h>

class AudioRing {
 public:
  AudioRing(int16_t* storage, uint32_t capacity)
      : storage_(storage), capacity_(capacity), written_(0) {}

  // Interrupt side.
  void Push(int16_t sample) {
    storage_[written_ % capacity_] = sample;
    written_ = written_ + 1;  // Publish after the store.
  }

  // Main-loop side.
  uint32_t Written() const { return written_; }
  uint32_t capacity() const { return capacity_; }
  bool Copy(uint32_t index, int16_t* out, int count) const;

 private:
  int16_t* storage_;
  uint32_t capacity_;
  volatile uint32_t written_;
};

#endif  // WAKEBENCH_AUDIO_RING_H_
